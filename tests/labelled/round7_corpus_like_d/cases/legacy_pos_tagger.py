"""BiLSTM part-of-speech tagger (originally written for PyTorch 0.3, partially ported)."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.autograd import Variable


class BiLSTMTagger(nn.Module):
    def __init__(self, vocab_size, tagset_size, emb_dim=100, hidden_dim=128):
        super(BiLSTMTagger, self).__init__()
        self.embeddings = nn.Embedding(vocab_size, emb_dim)
        self.lstm = nn.LSTM(emb_dim, hidden_dim // 2, num_layers=2, bidirectional=True, dropout=0.3)
        self.drop = nn.Dropout(0.5)
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.drop(self.embeddings(sentence))
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        return F.log_softmax(self.hidden2tag(self.drop(lstm_out.view(len(sentence), -1))), dim=1)


def prepare_sequence(seq, to_ix):
    return torch.LongTensor([to_ix.get(w, 0) for w in seq])


def train_epoch(model, data, word_to_ix, tag_to_ix, optimizer):
    model.train()
    total = 0.0
    for sentence, tags in data:
        model.zero_grad()
        sentence_in = Variable(prepare_sequence(sentence, word_to_ix))
        targets = Variable(prepare_sequence(tags, tag_to_ix))
        loss = F.nll_loss(model(sentence_in), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(data)


def evaluate(model, data, word_to_ix, tag_to_ix):
    model.eval()
    correct = count = 0
    for sentence, tags in data:
        sentence_in = Variable(prepare_sequence(sentence, word_to_ix), volatile=True)
        tag_scores = model(sentence_in)
        pred = tag_scores.data.max(1)[1]
        correct += (pred == prepare_sequence(tags, tag_to_ix)).sum().item()
        count += len(tags)
    return correct / count


def tag_sentence(model, words, word_to_ix, ix_to_tag):
    model.eval()
    with torch.no_grad():
        inputs = Variable(prepare_sequence(words, word_to_ix), volatile=True)
        best = model(inputs).argmax(1)
    return [ix_to_tag[i] for i in best.tolist()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="pos_corpus.pt")
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()
    corpus = torch.load(args.corpus)
    word_to_ix, tag_to_ix = corpus["word_to_ix"], corpus["tag_to_ix"]
    ix_to_tag = {i: t for t, i in tag_to_ix.items()}
    model = BiLSTMTagger(len(word_to_ix), len(tag_to_ix))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(args.epochs):
        loss = train_epoch(model, corpus["train"], word_to_ix, tag_to_ix, optimizer)
        acc = evaluate(model, corpus["dev"], word_to_ix, tag_to_ix)
        print("epoch %d loss %.4f dev acc %.4f" % (epoch, loss, acc))
    torch.save(model.state_dict(), "pos_tagger.pt")
    print(" ".join(tag_sentence(model, "the cat sat on the mat".split(), word_to_ix, ix_to_tag)))


if __name__ == "__main__":
    main()

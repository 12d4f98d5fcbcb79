"""BiLSTM part-of-speech tagger; training/evaluation code from the PyTorch 0.3 days, half migrated."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable as V


class BiLSTMTagger(nn.Module):
    def __init__(self, vocab, n_tags, emb=100, hidden=200, p=0.5):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb, padding_idx=0)
        self.drop = nn.Dropout(p)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, bidirectional=True, dropout=p, batch_first=True)
        self.out = nn.Linear(2 * hidden, n_tags)

    def forward(self, tokens):
        h, _ = self.lstm(self.drop(self.embed(tokens)))
        return self.out(self.drop(h))


def train_epoch(model, batches, optimizer):
    model.train()
    for tokens, tags in batches:
        logits = model(V(tokens))
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), V(tags).view(-1), ignore_index=0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def evaluate(model, batches):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for tokens, tags in batches:
            inputs = V(tokens, volatile=True)
            pred = model(inputs).argmax(-1)
            mask = tags != 0
            correct += (pred[mask] == tags[mask]).sum().item()
            total += mask.sum().item()
    model.train()
    return correct / total


def tag_sentence(model, words, word2idx, idx2tag):
    model.eval()
    ids = torch.LongTensor([[word2idx.get(w.lower(), 1) for w in words]])
    inp = torch.autograd.Variable(ids, volatile=True)
    logits = model(inp)
    return [idx2tag[i] for i in logits.data.argmax(-1)[0].tolist()]


def main(train_batches, dev_batches, word2idx, idx2tag, epochs=10):
    model = BiLSTMTagger(len(word2idx), len(idx2tag))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        train_epoch(model, train_batches, optimizer)
        print("epoch %d dev acc %.4f" % (epoch, evaluate(model, dev_batches)))
    print(tag_sentence(model, "The old man the boats .".split(), word2idx, idx2tag))

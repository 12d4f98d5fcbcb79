"""Word-level LSTM language model on Penn Treebank (written for PyTorch 0.3, still run today).
Truncated BPTT with repackaged hidden states, LR annealing on validation perplexity."""
import argparse
import math
import time

import torch
import torch.nn as nn
from torch.autograd import Variable

import data

parser = argparse.ArgumentParser()
parser.add_argument("--data", default="./data/penn")
parser.add_argument("--emsize", type=int, default=650)
parser.add_argument("--nhid", type=int, default=650)
parser.add_argument("--lr", type=float, default=20)
parser.add_argument("--clip", type=float, default=0.25)
parser.add_argument("--epochs", type=int, default=40)
parser.add_argument("--bptt", type=int, default=35)
parser.add_argument("--dropout", type=float, default=0.5)
parser.add_argument("--save", default="model.pt")
args = parser.parse_args()


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers=2, dropout=0.5):
        super(RNNModel, self).__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nlayers, self.nhid = nlayers, nhid

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output.view(output.size(0) * output.size(1), output.size(2)))
        return decoded.view(output.size(0), output.size(1), decoded.size(1)), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters()).data
        return (Variable(weight.new(self.nlayers, bsz, self.nhid).zero_()),
                Variable(weight.new(self.nlayers, bsz, self.nhid).zero_()))


def batchify(d, bsz):
    nbatch = d.size(0) // bsz
    return d.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous().cuda()


def repackage_hidden(h):
    """Wraps hidden states in new Variables, to detach them from their history."""
    if type(h) == Variable:
        return Variable(h.data)
    return tuple(repackage_hidden(v) for v in h)


corpus = data.Corpus(args.data)
train_data = batchify(corpus.train, 20)
val_data = batchify(corpus.valid, 10)
test_data = batchify(corpus.test, 1)
ntokens = len(corpus.dictionary)
model = RNNModel(ntokens, args.emsize, args.nhid, 2, args.dropout).cuda()
criterion = nn.CrossEntropyLoss()


def evaluate(data_source, eval_batch_size=10):
    model.eval()
    total_loss = 0
    hidden = model.init_hidden(eval_batch_size)
    for i in range(0, data_source.size(0) - 1, args.bptt):
        seq_len = min(args.bptt, len(data_source) - 1 - i)
        data = Variable(data_source[i:i + seq_len], volatile=True)
        targets = Variable(data_source[i + 1:i + 1 + seq_len].view(-1))
        output, hidden = model(data, hidden)
        total_loss += len(data) * criterion(output.view(-1, ntokens), targets).data[0]
        hidden = repackage_hidden(hidden)
    return total_loss / len(data_source)


def train(lr):
    model.train()
    total_loss, start_time = 0, time.time()
    hidden = model.init_hidden(20)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
        seq_len = min(args.bptt, len(train_data) - 1 - i)
        data = Variable(train_data[i:i + seq_len])
        targets = Variable(train_data[i + 1:i + 1 + seq_len].view(-1))
        hidden = repackage_hidden(hidden)
        model.zero_grad()
        output, hidden = model(data, hidden)
        loss = criterion(output.view(-1, ntokens), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm(model.parameters(), args.clip)
        for p in model.parameters():
            p.data.add_(-lr, p.grad.data)
        total_loss += loss.data[0]
        if batch % 200 == 0 and batch > 0:
            print("| batch {:5d} | lr {:02.2f} | ms/batch {:5.2f} | ppl {:8.2f}".format(
                batch, lr, (time.time() - start_time) * 1000 / 200, math.exp(total_loss / 200)))
            total_loss, start_time = 0, time.time()


lr = args.lr
best_val_loss = None
for epoch in range(1, args.epochs + 1):
    train(lr)
    val_loss = evaluate(val_data)
    print("| end of epoch {:3d} | valid loss {:5.2f} | valid ppl {:8.2f}".format(epoch, val_loss, math.exp(val_loss)))
    if not best_val_loss or val_loss < best_val_loss:
        with open(args.save, "wb") as f:
            torch.save(model, f)
        best_val_loss = val_loss
    else:
        lr /= 4.0

with open(args.save, "rb") as f:
    model = torch.load(f)
test_loss = evaluate(test_data, eval_batch_size=1)
print("| End of training | test loss {:5.2f} | test ppl {:8.2f}".format(test_loss, math.exp(test_loss)))

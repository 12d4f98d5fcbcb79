"""Seq2seq (GRU encoder / decoder) for a toy English->French set, old-API style (Variable wrappers).
Every --print-every iterations a few sentences are translated greedily to monitor progress."""
import argparse
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable

SOS_token, EOS_token, MAX_LENGTH = 0, 1, 12
parser = argparse.ArgumentParser()
parser.add_argument('--pairs', default='data/eng-fra-idx.pt')
parser.add_argument('--n-iters', type=int, default=50000)
parser.add_argument('--print-every', type=int, default=2000)
parser.add_argument('--hidden', type=int, default=256)
args = parser.parse_args()


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super(EncoderRNN, self).__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.dropout = nn.Dropout(dropout_p)
        self.gru = nn.GRU(hidden_size, hidden_size)

    def forward(self, input, hidden):
        output = self.dropout(self.embedding(input).view(1, 1, -1))
        return self.gru(output, hidden)

    def initHidden(self):
        return Variable(torch.zeros(1, 1, self.hidden_size))


class DecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1):
        super(DecoderRNN, self).__init__()
        self.dropout_p = dropout_p
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, output_size)

    def forward(self, input, hidden):
        output = F.relu(self.embedding(input).view(1, 1, -1))
        if self.training:
            output = F.dropout(output, p=self.dropout_p)
        output, hidden = self.gru(output, hidden)
        return F.log_softmax(self.out(output[0]), dim=1), hidden


def variable_from_indexes(indexes):
    return Variable(torch.LongTensor(indexes + [EOS_token]).view(-1, 1))


def train_step(input_variable, target_variable, encoder, decoder, enc_opt, dec_opt, criterion):
    encoder_hidden = encoder.initHidden()
    enc_opt.zero_grad()
    dec_opt.zero_grad()
    for ei in range(input_variable.size(0)):
        _, encoder_hidden = encoder(input_variable[ei], encoder_hidden)
    decoder_input, decoder_hidden, loss = Variable(torch.LongTensor([[SOS_token]])), encoder_hidden, 0
    for di in range(target_variable.size(0)):
        decoder_output, decoder_hidden = decoder(decoder_input, decoder_hidden)
        loss += criterion(decoder_output, target_variable[di])
        decoder_input = target_variable[di]  # teacher forcing
    loss.backward()
    enc_opt.step()
    dec_opt.step()
    return loss.data.item() / target_variable.size(0)


@torch.no_grad()
def translate(encoder, decoder, indexes):
    enc_was_training, dec_was_training = encoder.training, decoder.training
    encoder.eval()
    decoder.eval()
    input_variable = variable_from_indexes(indexes)
    hidden = encoder.initHidden()
    for ei in range(input_variable.size(0)):
        _, hidden = encoder(input_variable[ei], hidden)
    decoder_input, decoded = Variable(torch.LongTensor([[SOS_token]])), []
    for _ in range(MAX_LENGTH):
        out, hidden = decoder(decoder_input, hidden)
        topi = out.data.topk(1)[1][0][0].item()
        if topi == EOS_token:
            break
        decoded.append(topi)
        decoder_input = Variable(torch.LongTensor([[topi]]))
    encoder.train(enc_was_training)
    decoder.train(dec_was_training)
    return decoded


def trainIters(pairs, encoder, decoder, n_iters, print_every):
    encoder.train()
    decoder.train()
    enc_opt = torch.optim.SGD(encoder.parameters(), lr=0.01)
    dec_opt = torch.optim.SGD(decoder.parameters(), lr=0.01)
    criterion = nn.NLLLoss()
    total = 0.0
    for it in range(1, n_iters + 1):
        src, tgt = random.choice(pairs)
        total += train_step(variable_from_indexes(src), variable_from_indexes(tgt),
                            encoder, decoder, enc_opt, dec_opt, criterion)
        if it % print_every == 0:
            print('iter %d  loss %.4f' % (it, total / print_every))
            total = 0.0
            for src, tgt in random.sample(pairs, 3):
                print('  >', src, '\n  =', tgt, '\n  <', translate(encoder, decoder, src))


if __name__ == '__main__':
    pairs = torch.load(args.pairs)  # list of ([src ids], [tgt ids])
    encoder = EncoderRNN(5000, args.hidden)
    decoder = DecoderRNN(args.hidden, 6000)
    trainIters(pairs, encoder, decoder, args.n_iters, args.print_every)
    torch.save({'encoder': encoder.state_dict(), 'decoder': decoder.state_dict()}, 'seq2seq.pt')

"""French -> English translation with a GRU encoder and an attention decoder
(structure of the classic seq2seq tutorial), decoded with a small beam search."""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
SOS_token, EOS_token = 0, 1
MAX_LENGTH = 10
teacher_forcing_ratio = 0.5


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super(EncoderRNN, self).__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.dropout = nn.Dropout(dropout_p)
        self.gru = nn.GRU(hidden_size, hidden_size)

    def forward(self, input, hidden):
        embedded = self.dropout(self.embedding(input).view(1, 1, -1))
        output, hidden = self.gru(embedded, hidden)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, 1, self.hidden_size, device=device)


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1, max_length=MAX_LENGTH):
        super(AttnDecoderRNN, self).__init__()
        self.hidden_size, self.output_size = hidden_size, output_size
        self.dropout_p, self.max_length = dropout_p, max_length
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.dropout = nn.Dropout(dropout_p)
        self.attn = nn.Linear(hidden_size * 2, max_length)
        self.attn_combine = nn.Linear(hidden_size * 2, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, output_size)

    def forward(self, input, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(input).view(1, 1, -1))
        attn_weights = F.softmax(self.attn(torch.cat((embedded[0], hidden[0]), 1)), dim=1)
        attn_applied = torch.bmm(attn_weights.unsqueeze(0), encoder_outputs.unsqueeze(0))
        output = F.relu(self.attn_combine(torch.cat((embedded[0], attn_applied[0]), 1)).unsqueeze(0))
        output, hidden = self.gru(output, hidden)
        output = F.dropout(output, p=self.dropout_p)
        return F.log_softmax(self.out(output[0]), dim=1), hidden, attn_weights


def train(input_tensor, target_tensor, encoder, decoder, encoder_optimizer, decoder_optimizer, criterion):
    encoder_hidden = encoder.initHidden()
    encoder_optimizer.zero_grad()
    decoder_optimizer.zero_grad()
    encoder_outputs = torch.zeros(MAX_LENGTH, encoder.hidden_size, device=device)
    loss = 0
    for ei in range(input_tensor.size(0)):
        encoder_output, encoder_hidden = encoder(input_tensor[ei], encoder_hidden)
        encoder_outputs[ei] = encoder_output[0, 0]
    decoder_input = torch.tensor([[SOS_token]], device=device)
    decoder_hidden = encoder_hidden
    use_teacher_forcing = random.random() < teacher_forcing_ratio
    for di in range(target_tensor.size(0)):
        decoder_output, decoder_hidden, _ = decoder(decoder_input, decoder_hidden, encoder_outputs)
        loss += criterion(decoder_output, target_tensor[di])
        if use_teacher_forcing:
            decoder_input = target_tensor[di]
        else:
            decoder_input = decoder_output.topk(1)[1].squeeze().detach()
    loss.backward()
    encoder_optimizer.step()
    decoder_optimizer.step()
    return loss.item() / target_tensor.size(0)


def beam_search(encoder, decoder, input_tensor, beam_width=3):
    with torch.no_grad():
        encoder_hidden = encoder.initHidden()
        encoder_outputs = torch.zeros(MAX_LENGTH, encoder.hidden_size, device=device)
        for ei in range(input_tensor.size(0)):
            encoder_output, encoder_hidden = encoder(input_tensor[ei], encoder_hidden)
            encoder_outputs[ei] += encoder_output[0, 0]
        beams = [(0.0, [SOS_token], encoder_hidden)]
        for _ in range(MAX_LENGTH):
            candidates = []
            for score, tokens, hidden in beams:
                if tokens[-1] == EOS_token:
                    candidates.append((score, tokens, hidden))
                    continue
                decoder_input = torch.tensor([[tokens[-1]]], device=device)
                log_probs, new_hidden, _ = decoder(decoder_input, hidden, encoder_outputs)
                top_lp, top_idx = log_probs.topk(beam_width)
                for lp, idx in zip(top_lp[0].tolist(), top_idx[0].tolist()):
                    candidates.append((score + lp, tokens + [idx], new_hidden))
            beams = sorted(candidates, key=lambda c: c[0], reverse=True)[:beam_width]
            if all(b[1][-1] == EOS_token for b in beams):
                break
        return beams[0][1]


def trainIters(pairs, encoder, decoder, n_iters, print_every=1000, learning_rate=0.01):
    encoder_optimizer = optim.SGD(encoder.parameters(), lr=learning_rate)
    decoder_optimizer = optim.SGD(decoder.parameters(), lr=learning_rate)
    criterion = nn.NLLLoss()
    print_loss_total = 0.0
    for it in range(1, n_iters + 1):
        input_tensor, target_tensor = random.choice(pairs)
        print_loss_total += train(input_tensor, target_tensor, encoder, decoder,
                                  encoder_optimizer, decoder_optimizer, criterion)
        if it % print_every == 0:
            print('%d %d%% %.4f' % (it, it / n_iters * 100, print_loss_total / print_every))
            print_loss_total = 0.0


def evaluateRandomly(pairs, encoder, decoder, n=10):
    for _ in range(n):
        input_tensor, target_tensor = random.choice(pairs)
        output_tokens = beam_search(encoder, decoder, input_tensor)
        print('>', input_tensor.view(-1).tolist())
        print('=', target_tensor.view(-1).tolist())
        print('<', output_tokens)
        print('')


if __name__ == "__main__":
    pairs = torch.load("data/eng-fra-pairs.pt")  # list of (LongTensor, LongTensor) index pairs
    encoder1 = EncoderRNN(4345, 256).to(device)
    attn_decoder1 = AttnDecoderRNN(256, 2803, dropout_p=0.1).to(device)
    trainIters(pairs, encoder1, attn_decoder1, 75000, print_every=5000)
    evaluateRandomly(pairs, encoder1, attn_decoder1)

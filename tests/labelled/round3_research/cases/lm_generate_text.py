"""Generate text from a trained word-level LSTM language model (saved with torch.save(model, f))."""
import argparse

import torch

import data  # local corpus helper (same as training)

parser = argparse.ArgumentParser(description='PyTorch Wikitext-2 Language Model: generation')
parser.add_argument('--data', type=str, default='./data/wikitext-2')
parser.add_argument('--checkpoint', type=str, default='./model.pt')
parser.add_argument('--outf', type=str, default='generated.txt')
parser.add_argument('--words', type=int, default=1000)
parser.add_argument('--seed', type=int, default=1111)
parser.add_argument('--temperature', type=float, default=1.0)
parser.add_argument('--log-interval', type=int, default=100)
args = parser.parse_args()

torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
if args.temperature < 1e-3:
    parser.error("--temperature has to be greater or equal 1e-3")

with open(args.checkpoint, 'rb') as f:
    model = torch.load(f, map_location=device)
model.eval()

corpus = data.Corpus(args.data)
ntokens = len(corpus.dictionary)
hidden = model.init_hidden(1)
input = torch.randint(ntokens, (1, 1), dtype=torch.long).to(device)


def sample_next(logits, temperature):
    word_weights = logits.squeeze().div(temperature).exp().cpu()
    return torch.multinomial(word_weights, 1)[0]


with open(args.outf, 'w') as outf:
    with torch.no_grad:  # no tracking history
        for i in range(args.words):
            output, hidden = model(input, hidden)
            word_idx = sample_next(output, args.temperature)
            input.fill_(word_idx)
            word = corpus.dictionary.idx2word[word_idx]
            outf.write(word + ('\n' if i % 20 == 19 else ' '))
            if i % args.log_interval == 0:
                print('| Generated {}/{} words'.format(i, args.words))

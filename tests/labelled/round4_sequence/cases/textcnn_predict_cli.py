"""Batch prediction CLI for a Kim-style TextCNN intent classifier.
Reads one utterance per line, writes `label<TAB>prob<TAB>text`."""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader


class TextCNN(nn.Module):
    def __init__(self, vocab_size, num_classes, emb_dim=300, widths=(3, 4, 5), channels=100, dropout=0.5):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(emb_dim, channels, w) for w in widths)
        self.bn = nn.BatchNorm1d(channels * len(widths))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels * len(widths), num_classes)

    def forward(self, tokens):
        x = self.embedding(tokens).transpose(1, 2)
        pooled = [F.relu(conv(x)).max(dim=2).values for conv in self.convs]
        return self.fc(self.dropout(self.bn(torch.cat(pooled, dim=1))))


class Tokenizer:
    def __init__(self, vocab_path, max_len=64):
        with open(vocab_path) as f:
            self.stoi = json.load(f)
        self.max_len = max_len

    def __call__(self, text):
        ids = [self.stoi.get(w, 1) for w in text.lower().split()][: self.max_len]
        return torch.tensor(ids + [0] * max(0, 5 - len(ids)), dtype=torch.long)


def make_collate(tokenizer):
    def collate(lines):
        return pad_sequence([tokenizer(t) for t in lines], batch_first=True, padding_value=0), lines
    return collate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("--ckpt", default="textcnn_intents.pt")
    ap.add_argument("--vocab", default="vocab.json")
    ap.add_argument("--labels", default="labels.json")
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    labels = json.load(open(args.labels))
    tokenizer = Tokenizer(args.vocab)
    model = TextCNN(len(tokenizer.stoi), len(labels))
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    model.to(device)
    model.eval

    lines = [l.strip() for l in open(args.input, encoding="utf-8") if l.strip()]
    loader = DataLoader(lines, batch_size=args.batch_size, collate_fn=make_collate(tokenizer))
    with torch.inference_mode():
        for tokens, texts in loader:
            probs = model(tokens.to(device)).softmax(-1)
            conf, pred = probs.max(-1)
            for text, c, p in zip(texts, conf.tolist(), pred.tolist()):
                print(f"{labels[p]}\t{c:.3f}\t{text}")


if __name__ == "__main__":
    main()

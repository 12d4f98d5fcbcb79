"""Dynamic int8 quantization of the intent classifier before it is shipped to the CPU fleet.

The fp32 accuracy comes from the training run's metadata; this script quantizes the
LSTM/Linear layers, checks the int8 accuracy on the held-out set, measures latency, and
saves a TorchScript artifact for the serving image.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class IntentClassifier(nn.Module):
    def __init__(self, vocab_size, n_intents, emb=128, hidden=256):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, batch_first=True, dropout=0.2, bidirectional=True)
        self.drop = nn.Dropout(0.3)
        self.out = nn.Linear(2 * hidden, n_intents)

    def forward(self, tokens):
        h, _ = self.lstm(self.embed(tokens))
        return self.out(self.drop(h.max(dim=1).values))


def evaluate_accuracy(model, loader):
    correct = total = 0
    for tokens, intents in loader:
        pred = model(tokens).argmax(dim=-1)
        correct += (pred == intents).sum().item()
        total += intents.numel()
    return correct / total


def benchmark_latency(model, sample, runs=200):
    with torch.inference_mode():
        for _ in range(10):
            model(sample)
        start = time.perf_counter()
        for _ in range(runs):
            model(sample)
    return (time.perf_counter() - start) / runs * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default="intent_fp32.pt")
    ap.add_argument("--meta", default="intent_fp32.json")
    ap.add_argument("--heldout", default="heldout_tokens.pt")
    ap.add_argument("--out", default="intent_int8.ts")
    ap.add_argument("--max-drop", type=float, default=0.01)
    args = ap.parse_args()

    with open(args.meta) as fh:
        meta = json.load(fh)
    model = IntentClassifier(meta["vocab_size"], meta["n_intents"])
    model.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))

    qmodel = torch.quantization.quantize_dynamic(model, {nn.LSTM, nn.Linear}, dtype=torch.qint8)

    tokens, intents = torch.load(args.heldout)
    loader = DataLoader(TensorDataset(tokens, intents), batch_size=256)
    int8_acc = evaluate_accuracy(qmodel, loader)
    latency = benchmark_latency(qmodel, tokens[:1])
    print(f"fp32 acc {meta['accuracy']:.4f}  int8 acc {int8_acc:.4f}  int8 latency {latency:.2f} ms")
    if meta["accuracy"] - int8_acc > args.max_drop:
        raise SystemExit("int8 accuracy drop too large, not exporting")
    torch.jit.save(torch.jit.script(qmodel), args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()

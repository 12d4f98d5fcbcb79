"""Character-level GPT on a text file (nanoGPT-style loop with periodic loss estimates)."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


class CharGPT(nn.Module):
    def __init__(self, vocab, block=128, d=256, heads=4, layers=4, dropout=0.2):
        super().__init__()
        self.block = block
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(block, d)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout, batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers)
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, idx, targets=None):
        t = idx.size(1)
        causal = nn.Transformer.generate_square_subsequent_mask(t, device=idx.device)
        h = self.blocks(self.tok(idx) + self.pos(torch.arange(t, device=idx.device)), mask=causal, is_causal=True)
        logits = self.head(self.ln(h))
        loss = None if targets is None else F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0):
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.block:])
            probs = F.softmax(logits[:, -1] / temperature, dim=-1)
            idx = torch.cat([idx, torch.multinomial(probs, 1)], dim=1)
        return idx


def get_batch(data, block, batch_size, device):
    ix = torch.randint(len(data) - block - 1, (batch_size,))
    x = torch.stack([data[i:i + block] for i in ix])
    y = torch.stack([data[i + 1:i + block + 1] for i in ix])
    return x.to(device), y.to(device)


@torch.no_grad()
def estimate_loss(model, splits, block, batch_size, device, iters=50):
    out = {}
    for name, data in splits.items():
        losses = torch.zeros(iters)
        for k in range(iters):
            xb, yb = get_batch(data, block, batch_size, device)
            _, loss = model(xb, yb)
            losses[k] = loss.item()
        out[name] = losses.mean().item()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--text", default="input.txt")
    ap.add_argument("--iters", type=int, default=5000)
    ap.add_argument("--eval-interval", type=int, default=250)
    ap.add_argument("--compile", action="store_true")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    text = open(args.text).read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(0.9 * len(data))
    splits = {"train": data[:n], "val": data[n:]}

    model = CharGPT(len(chars)).to(device)
    raw_model = model
    if args.compile:
        model = torch.compile(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)
    model.train()
    for it in range(args.iters):
        if it % args.eval_interval == 0:
            losses = estimate_loss(model, splits, raw_model.block, 64, device)
            print(f"iter {it}: train {losses['train']:.4f} val {losses['val']:.4f}")
        xb, yb = get_batch(splits["train"], raw_model.block, 64, device)
        _, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    raw_model.eval()
    start = torch.zeros((1, 1), dtype=torch.long, device=device)
    print("".join(chars[i] for i in raw_model.generate(start, 500)[0].tolist()))


if __name__ == "__main__":
    main()

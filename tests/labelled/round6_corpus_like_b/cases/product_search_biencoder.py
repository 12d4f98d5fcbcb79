"""Fine-tune a product-search bi-encoder (sentence-transformers) with in-batch negatives.

Recall@10 on held-out queries is logged every --eval-every optimizer steps.
"""
import argparse
import json

import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer


def load_pairs(path):
    with open(path) as fh:
        rows = [json.loads(line) for line in fh]
    return [r["query"] for r in rows], [r["title"] for r in rows]


def recall_at_10(model, queries, titles):
    q = model.encode(queries, convert_to_tensor=True, normalize_embeddings=True, batch_size=256)
    t = model.encode(titles, convert_to_tensor=True, normalize_embeddings=True, batch_size=256)
    top = (q @ t.T).topk(10, dim=1).indices.cpu()
    return (top == torch.arange(len(queries)).unsqueeze(1)).any(1).float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="sentence-transformers/all-MiniLM-L6-v2")
    ap.add_argument("--train", default="pairs_train.jsonl")
    ap.add_argument("--val", default="pairs_val.jsonl")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--temperature", type=float, default=0.05)
    ap.add_argument("--out", default="search-biencoder")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_q, train_t = load_pairs(args.train)
    val_q, val_t = load_pairs(args.val)
    model = SentenceTransformer(args.base, device=device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)

    model.train()
    step = 0
    for epoch in range(args.epochs):
        perm = torch.randperm(len(train_q)).tolist()
        for i in range(0, len(perm) - args.batch_size + 1, args.batch_size):
            idx = perm[i:i + args.batch_size]
            texts = [train_q[j] for j in idx] + [train_t[j] for j in idx]
            features = {k: v.to(device) for k, v in model.tokenize(texts).items()}
            emb = F.normalize(model(features)["sentence_embedding"], dim=-1)
            q, d = emb[:len(idx)], emb[len(idx):]
            logits = q @ d.T / args.temperature
            loss = F.cross_entropy(logits, torch.arange(len(idx), device=device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % args.eval_every == 0:
                print(f"epoch {epoch} step {step}: loss {loss.item():.4f} "
                      f"recall@10 {recall_at_10(model, val_q, val_t):.4f}")
    model.save(args.out)


if __name__ == "__main__":
    main()

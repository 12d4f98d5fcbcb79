"""Hand-written contrastive fine-tuning of a sentence-transformers bi-encoder (in-batch negatives).
Recall@10 on a small dev set is logged every --eval-steps optimizer steps."""
import argparse
import json
import random

import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer


def load_pairs(path):
    with open(path) as fh:
        return [(r["query"], r["positive"]) for r in map(json.loads, fh)]


def recall_at_k(model, queries, passages, k=10):
    q = model.encode(queries, convert_to_tensor=True, normalize_embeddings=True, batch_size=128)
    p = model.encode(passages, convert_to_tensor=True, normalize_embeddings=True, batch_size=128)
    top = (q @ p.T).topk(k, dim=1).indices
    gold = torch.arange(len(queries), device=top.device).unsqueeze(1)
    return (top == gold).any(dim=1).float().mean().item()


def to_device(features, device):
    return {k: v.to(device) for k, v in features.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    ap.add_argument("--train", default="pairs_train.jsonl")
    ap.add_argument("--dev", default="pairs_dev.jsonl")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--temperature", type=float, default=0.05)
    ap.add_argument("--eval-steps", type=int, default=500)
    ap.add_argument("--out", default="biencoder-ft")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = SentenceTransformer(args.model, device=device)
    pairs = load_pairs(args.train)
    dev = load_pairs(args.dev)[:2000]
    dev_q, dev_p = [q for q, _ in dev], [p for _, p in dev]
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
    print("recall@10 before:", recall_at_k(model, dev_q, dev_p))

    model.train()
    step = 0
    for epoch in range(args.epochs):
        random.shuffle(pairs)
        for i in range(0, len(pairs) - args.batch_size + 1, args.batch_size):
            batch = pairs[i:i + args.batch_size]
            q_feat = to_device(model.tokenize([q for q, _ in batch]), device)
            p_feat = to_device(model.tokenize([p for _, p in batch]), device)
            q = F.normalize(model(q_feat)["sentence_embedding"], dim=-1)
            p = F.normalize(model(p_feat)["sentence_embedding"], dim=-1)
            scores = q @ p.T / args.temperature
            loss = F.cross_entropy(scores, torch.arange(len(batch), device=scores.device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % args.eval_steps == 0:
                print(f"step {step}: loss {loss.item():.4f} recall@10 {recall_at_k(model, dev_q, dev_p):.4f}")
    model.save(args.out)


if __name__ == "__main__":
    main()

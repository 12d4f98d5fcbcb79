"""Contrastive fine-tuning of a sentence-transformers bi-encoder with in-batch negatives.

A hand-written loop (no SentenceTransformerTrainer); dev retrieval is checked with
model.encode() every few hundred steps so we can stop early.
"""
import argparse
import csv
import random

import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer, util


def read_pairs(path):
    with open(path, newline="") as fh:
        return [(row["query"], row["passage"]) for row in csv.DictReader(fh)]


def batches(pairs, size):
    pairs = pairs[:]
    random.shuffle(pairs)
    for i in range(0, len(pairs) - size + 1, size):
        yield pairs[i:i + size]


def dev_recall_at_1(model, dev_pairs):
    queries = [q for q, _ in dev_pairs]
    passages = [p for _, p in dev_pairs]
    q_emb = model.encode(queries, batch_size=128, convert_to_tensor=True, normalize_embeddings=True)
    p_emb = model.encode(passages, batch_size=128, convert_to_tensor=True, normalize_embeddings=True)
    best = util.cos_sim(q_emb, p_emb).argmax(dim=1)
    return (best == torch.arange(len(queries), device=best.device)).float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    ap.add_argument("--train", required=True)
    ap.add_argument("--dev", required=True)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--temperature", type=float, default=0.05)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--out", default="biencoder-ft")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_pairs, dev_pairs = read_pairs(args.train), read_pairs(args.dev)[:2000]
    model = SentenceTransformer(args.model, device=device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    print(f"dev R@1 before training: {dev_recall_at_1(model, dev_pairs):.3f}")

    model.train()
    step, best = 0, 0.0
    for epoch in range(args.epochs):
        for batch in batches(train_pairs, args.batch_size):
            texts = [q for q, _ in batch] + [p for _, p in batch]
            features = {k: v.to(device) for k, v in model.tokenize(texts).items()}
            emb = F.normalize(model(features)["sentence_embedding"], dim=-1)
            q, p = emb[: len(batch)], emb[len(batch):]
            scores = q @ p.T / args.temperature
            loss = F.cross_entropy(scores, torch.arange(len(batch), device=device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad()
            step += 1
            if step % args.eval_every == 0:
                r1 = dev_recall_at_1(model, dev_pairs)
                print(f"epoch {epoch} step {step} loss {loss.item():.4f} dev R@1 {r1:.3f}")
                if r1 > best:
                    best = r1
                    model.save(args.out)
    print(f"best dev R@1 {best:.3f}")


if __name__ == "__main__":
    main()

"""Adapt a sentence-transformers bi-encoder to FAQ retrieval with in-batch negatives.

A custom loop (instead of model.fit) so that the dev Recall@1 can be logged every few hundred steps.
"""
import argparse
import json

import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer
from torch.utils.data import DataLoader


def recall_at_1(model, queries, answers):
    q = model.encode(queries, convert_to_tensor=True, normalize_embeddings=True)
    a = model.encode(answers, convert_to_tensor=True, normalize_embeddings=True)
    return ((q @ a.T).argmax(1) == torch.arange(len(q), device=q.device)).float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", default="faq_pairs.jsonl")
    ap.add_argument("--dev", default="faq_dev.jsonl")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=300)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    pairs = [json.loads(line) for line in open(args.pairs)]
    dev = [json.loads(line) for line in open(args.dev)]
    dev_q, dev_a = [d["question"] for d in dev], [d["answer"] for d in dev]
    loader = DataLoader([(p["question"], p["answer"]) for p in pairs], batch_size=64, shuffle=True,
                        collate_fn=lambda rows: tuple(zip(*rows)))

    model = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2", device=device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
    scale = 20.0
    print(f"dev R@1 before: {recall_at_1(model, dev_q, dev_a):.4f}")

    model.train()
    step = 0
    for epoch in range(args.epochs):
        for questions, answers in loader:
            features = model.tokenize(list(questions) + list(answers))
            features = {k: v.to(device) for k, v in features.items()}
            emb = model(features)["sentence_embedding"]
            q, a = F.normalize(emb[: len(questions)], dim=-1), F.normalize(emb[len(questions):], dim=-1)
            loss = F.cross_entropy(scale * q @ a.T, torch.arange(len(q), device=device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % args.eval_every == 0:
                print(f"step {step}: loss {loss.item():.4f} dev R@1 {recall_at_1(model, dev_q, dev_a):.4f}")
    model.save("minilm-faq")


if __name__ == "__main__":
    main()

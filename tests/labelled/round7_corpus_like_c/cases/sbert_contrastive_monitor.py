"""In-batch-negatives fine-tuning of a sentence-transformers model with a hand-written loop.

Every EVAL_EVERY steps the mean cosine similarity of held-out paraphrase pairs is printed.
"""
import json
import random

import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer, util

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
EPOCHS, BATCH, EVAL_EVERY = 3, 64, 200
SCALE = 20.0


def batches(pairs, size):
    random.shuffle(pairs)
    for i in range(0, len(pairs) - size + 1, size):
        chunk = pairs[i:i + size]
        yield [a for a, _ in chunk], [b for _, b in chunk]


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    pairs = [tuple(json.loads(line)) for line in open("paraphrases_train.jsonl")]
    dev = [tuple(json.loads(line)) for line in open("paraphrases_dev.jsonl")]
    dev_left, dev_right = [a for a, _ in dev], [b for _, b in dev]

    model = SentenceTransformer(MODEL, device=device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
    model.train()
    step = 0
    for epoch in range(EPOCHS):
        for anchors, positives in batches(pairs, BATCH):
            features = model.tokenize(anchors + positives)
            features = {k: v.to(device) for k, v in features.items()}
            emb = model(features)["sentence_embedding"]
            a, p = emb.chunk(2)
            scores = util.cos_sim(a, p) * SCALE
            loss = F.cross_entropy(scores, torch.arange(len(a), device=device))
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if step % EVAL_EVERY == 0:
                left = model.encode(dev_left, convert_to_tensor=True, batch_size=128)
                right = model.encode(dev_right, convert_to_tensor=True, batch_size=128)
                sim = util.pairwise_cos_sim(left, right).mean().item()
                print(f"epoch {epoch} step {step}: loss {loss.item():.4f} dev cos {sim:.4f}")
            step += 1
    model.save("minilm-paraphrase-ft")


if __name__ == "__main__":
    main()

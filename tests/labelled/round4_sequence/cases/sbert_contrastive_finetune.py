"""In-domain contrastive fine-tuning of a sentence-transformers bi-encoder on (question,
answer) pairs with in-batch negatives, in a plain PyTorch loop. Dev retrieval recall is
monitored with model.encode() (which switches the model to eval and leaves it there)."""
import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer
from torch.utils.data import DataLoader


def recall_at_k(model, questions, passages, gold, k=10):
    q = model.encode(questions, batch_size=128, convert_to_tensor=True, normalize_embeddings=True)
    p = model.encode(passages, batch_size=128, convert_to_tensor=True, normalize_embeddings=True)
    topk = (q @ p.T).topk(k, dim=1).indices.cpu()
    return sum(int(g in row) for g, row in zip(gold, topk.tolist())) / len(gold)


def embed(model, texts, device):
    features = model.tokenize(texts)
    features = {k: v.to(device) for k, v in features.items()}
    return F.normalize(model(features)["sentence_embedding"], dim=-1)


def main(pairs, dev, epochs=2, batch_size=64, scale=20.0, eval_every=500, device="cuda"):
    model = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2", device=device)
    loader = DataLoader(pairs, batch_size=batch_size, shuffle=True, drop_last=True, collate_fn=lambda b: list(zip(*b)))
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
    scaler = torch.cuda.amp.GradScaler()
    print("dev recall@10 before:", recall_at_k(model, *dev))
    step = 0
    for epoch in range(epochs):
        model.train()
        for questions, answers in loader:
            with torch.autocast("cuda", dtype=torch.float16):
                q = embed(model, list(questions), device)
                a = embed(model, list(answers), device)
                scores = q @ a.T * scale
                loss = (F.cross_entropy(scores, torch.arange(len(q), device=device))
                        + F.cross_entropy(scores.T, torch.arange(len(q), device=device))) / 2
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            step += 1
            if step % eval_every == 0:
                print(f"step {step}: loss {loss.item():.4f} dev recall@10 {recall_at_k(model, *dev):.4f}")
                model.train()
    model.save("minilm-qa-finetuned")
    print("dev recall@10 after:", recall_at_k(model, *dev))

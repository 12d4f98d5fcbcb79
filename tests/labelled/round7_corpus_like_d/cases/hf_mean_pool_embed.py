"""Embed a CSV of passages with a Hugging Face encoder (mean pooling) and save a FAISS-ready matrix."""
import argparse

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer


def mean_pool(last_hidden, attention_mask):
    mask = attention_mask.unsqueeze(-1).to(last_hidden.dtype)
    return (last_hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def embed_texts(model, tokenizer, texts, device, batch_size=64, max_length=256):
    chunks = []
    for start in range(0, len(texts), batch_size):
        enc = tokenizer(texts[start:start + batch_size], padding=True, truncation=True, max_length=max_length,
                        return_tensors="pt").to(device)
        with torch.inference_mode():
            out = model(**enc)
        emb = F.normalize(mean_pool(out.last_hidden_state, enc["attention_mask"]), dim=-1)
        chunks.append(emb.float().cpu().numpy())
    return np.concatenate(chunks)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("passages", help="CSV with a 'text' column")
    ap.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    ap.add_argument("--out", default="passages.npy")
    ap.add_argument("--fp16", action="store_true")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModel.from_pretrained(args.model, torch_dtype=torch.float16 if args.fp16 else torch.float32)
    model.to(device)

    texts = pd.read_csv(args.passages)["text"].fillna("").tolist()
    emb = embed_texts(model, tokenizer, texts, device)
    np.save(args.out, emb)
    print(f"saved {emb.shape} to {args.out}")


if __name__ == "__main__":
    main()

"""Embed the product catalogue with the fine-tuned text encoder and build a FAISS index
for semantic search. Run after every catalogue refresh."""
import argparse
import json

import faiss
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer


class ProductEncoder(nn.Module):
    """Transformer backbone + learned-query attention pooling + projection."""

    def __init__(self, backbone, dim=256, num_heads=8, p=0.1):
        super().__init__()
        self.backbone = AutoModel.from_pretrained(backbone)
        hidden = self.backbone.config.hidden_size
        self.num_heads = num_heads
        self.query = nn.Parameter(torch.randn(1, 1, hidden) * 0.02)
        self.attn_p = p
        self.p = p
        self.proj = nn.Linear(hidden, dim)

    def forward(self, input_ids, attention_mask):
        h = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        b, t, d = h.shape
        q = self.query.expand(b, -1, -1).view(b, 1, self.num_heads, d // self.num_heads).transpose(1, 2)
        kv = h.view(b, t, self.num_heads, d // self.num_heads).transpose(1, 2)
        mask = attention_mask[:, None, None, :].bool()
        pooled = F.scaled_dot_product_attention(q, kv, kv, attn_mask=mask, dropout_p=self.attn_p)
        pooled = pooled.transpose(1, 2).reshape(b, d)
        pooled = F.dropout(pooled, self.p)
        return F.normalize(self.proj(pooled), dim=-1)


def read_catalogue(path):
    ids, texts = [], []
    with open(path) as fh:
        for line in fh:
            item = json.loads(line)
            ids.append(int(item["sku"]))
            texts.append(f"{item['title']}. {item.get('description', '')}")
    return np.asarray(ids, dtype=np.int64), texts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--catalogue", default="catalogue.jsonl")
    ap.add_argument("--backbone", default="sentence-transformers/all-MiniLM-L12-v2")
    ap.add_argument("--weights", default="product_encoder.pt")
    ap.add_argument("--index", default="products.faiss")
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer = AutoTokenizer.from_pretrained(args.backbone)
    encoder = ProductEncoder(args.backbone)
    encoder.load_state_dict(torch.load(args.weights, map_location="cpu"))
    encoder.to(device).eval()

    ids, texts = read_catalogue(args.catalogue)
    chunks = []
    with torch.inference_mode():
        for i in range(0, len(texts), args.batch_size):
            enc = tokenizer(texts[i:i + args.batch_size], padding=True, truncation=True,
                            max_length=128, return_tensors="pt").to(device)
            emb = encoder(enc["input_ids"], enc["attention_mask"])
            chunks.append(emb.float().cpu().numpy())
    vectors = np.concatenate(chunks)

    index = faiss.IndexIDMap(faiss.IndexFlatIP(vectors.shape[1]))
    index.add_with_ids(vectors, ids)
    faiss.write_index(index, args.index)
    print(f"indexed {index.ntotal} products (dim={vectors.shape[1]}) -> {args.index}")


if __name__ == "__main__":
    main()

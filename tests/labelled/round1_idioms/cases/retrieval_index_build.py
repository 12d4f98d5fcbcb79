"""Dense passage retrieval: encode a corpus with a bi-encoder and answer queries by inner product.

The query path and the corpus path share the encoder; the encoder may be a plain
nn.Module or a wrapper object loaded from a user plugin.
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer

ENCODER = "sentence-transformers/msmarco-bert-base-dot-v5"


class BiEncoder:
    def __init__(self, name=ENCODER, device=None):
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(name)
        self.model = AutoModel.from_pretrained(name).to(self.device)
        if hasattr(self.model, "eval") and callable(self.model.eval):
            self.model.eval()

    def _pool(self, out, mask):
        mask = mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
        return (out.last_hidden_state * mask).sum(1) / mask.sum(1).clamp_min(1e-9)

    @torch.no_grad
    def encode_queries(self, queries, batch_size=64):
        vecs = []
        for i in range(0, len(queries), batch_size):
            enc = self.tokenizer(queries[i:i + batch_size], padding=True, truncation=True,
                                 max_length=64, return_tensors="pt").to(self.device)
            vecs.append(self._pool(self.model(**enc), enc["attention_mask"]).cpu())
        return torch.cat(vecs)

    def encode_corpus(self, passages, batch_size=128):
        vecs = []
        with torch.no_grad:
            for i in range(0, len(passages), batch_size):
                enc = self.tokenizer(passages[i:i + batch_size], padding=True, truncation=True,
                                     max_length=256, return_tensors="pt").to(self.device)
                emb = self._pool(self.model(**enc), enc["attention_mask"])
                vecs.append(F.normalize(emb, dim=-1).half().cpu())
        return torch.cat(vecs)


def build_index(encoder, passages, path):
    emb = encoder.encode_corpus(passages)
    np.save(path, emb.numpy())
    return emb


def search(encoder, index, passages, query, k=10):
    q = F.normalize(encoder.encode_queries([query]), dim=-1).half()
    scores = (index @ q[0]).float()
    top = scores.topk(k)
    return [(passages[i], float(s)) for s, i in zip(top.values, top.indices)]


if __name__ == "__main__":
    passages = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
    enc = BiEncoder()
    index = build_index(enc, passages, "passages.npy")
    for hit in search(enc, index, passages, sys.argv[2]):
        print(f"{hit[1]:.3f}  {hit[0][:100]}")

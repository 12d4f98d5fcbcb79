"""Build a FAQ retrieval index with a trained two-tower model and answer a few queries."""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F


class TextTower(nn.Module):
    def __init__(self, vocab_size, dim=256, heads=4, layers=2, dropout=0.1):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)
        layer = nn.TransformerEncoderLayer(dim, heads, dim * 4, dropout=dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.proj = nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, dim))

    def forward(self, ids):
        pad = ids.eq(0)
        h = self.encoder(self.embed(ids), src_key_padding_mask=pad)
        h = h.masked_fill(pad.unsqueeze(-1), 0).sum(1) / (~pad).sum(1, keepdim=True).clamp(min=1)
        return F.normalize(self.proj(h), dim=-1)


def tokenize(texts, vocab, max_len=64):
    rows = [[vocab.get(w, 1) for w in t.lower().split()][:max_len] for t in texts]
    width = max(len(r) for r in rows)
    return torch.tensor([r + [0] * (width - len(r)) for r in rows])


def main(args):
    ckpt = torch.load(args.ckpt, map_location="cpu")
    vocab = ckpt["vocab"]
    query_tower = TextTower(len(vocab), **ckpt["hparams"])
    doc_tower = TextTower(len(vocab), **ckpt["hparams"])
    query_tower.load_state_dict(ckpt["query"])
    doc_tower.load_state_dict(ckpt["doc"])
    for tower in (query_tower, doc_tower):
        tower.eval

    with open(args.faq) as fh:
        faq = [json.loads(line) for line in fh]
    answers = [item["answer"] for item in faq]
    with torch.no_grad():
        doc_vecs = torch.cat([doc_tower(tokenize(answers[i:i + 256], vocab)) for i in range(0, len(answers), 256)])
        query_vecs = query_tower(tokenize(args.queries, vocab))
    scores = query_vecs @ doc_vecs.T
    top = scores.topk(args.k, dim=1)
    for q, idx, val in zip(args.queries, top.indices.tolist(), top.values.tolist()):
        print(q)
        for i, s in zip(idx, val):
            print(f"   {s:.3f}  {faq[i]['question']}")
    torch.save(doc_vecs, args.index_out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="two_tower.pt")
    ap.add_argument("--faq", default="faq.jsonl")
    ap.add_argument("--index-out", default="faq_index.pt")
    ap.add_argument("-k", type=int, default=3)
    ap.add_argument("queries", nargs="+")
    main(ap.parse_args())

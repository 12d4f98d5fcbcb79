"""Two-stage semantic search over a FAQ: bi-encoder retrieval with sentence-transformers,
cross-encoder re-ranking, and an MRR@10 evaluation on labelled queries."""
import argparse
import json

import torch
from sentence_transformers import CrossEncoder, SentenceTransformer, util


class FaqSearch:
    def __init__(self, passages, bi_name, ce_name, device):
        self.passages = passages
        self.bi = SentenceTransformer(bi_name, device=device)
        self.ce = CrossEncoder(ce_name, max_length=512, device=device)
        self.corpus_emb = self.bi.encode(passages, batch_size=128, convert_to_tensor=True,
                                         normalize_embeddings=True, show_progress_bar=True)

    def search(self, query, top_k=50, rerank_k=10):
        q_emb = self.bi.encode(query, convert_to_tensor=True, normalize_embeddings=True)
        hits = util.semantic_search(q_emb, self.corpus_emb, top_k=top_k)[0]
        pairs = [(query, self.passages[h["corpus_id"]]) for h in hits]
        scores = self.ce.predict(pairs, batch_size=32)
        order = sorted(range(len(hits)), key=lambda i: -scores[i])[:rerank_k]
        return [(hits[i]["corpus_id"], float(scores[i])) for i in order]


def evaluate(engine, labelled, k=10):
    rr = []
    for item in labelled:
        ranked = [cid for cid, _ in engine.search(item["query"], rerank_k=k)]
        rank = next((i + 1 for i, cid in enumerate(ranked) if cid in item["relevant"]), None)
        rr.append(1.0 / rank if rank else 0.0)
    return sum(rr) / len(rr)


def predict_duplicates(engine, threshold=0.9):
    emb = engine.corpus_emb
    sims = util.cos_sim(emb, emb).fill_diagonal_(0)
    i, j = torch.nonzero(torch.triu(sims) > threshold, as_tuple=True)
    pairs = [(engine.passages[a], engine.passages[b]) for a, b in zip(i.tolist(), j.tolist())]
    if not pairs:
        return []
    confirm = engine.ce.predict(pairs, batch_size=32)
    return [p for p, s in zip(pairs, confirm) if s > 0.5]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("faq", help="json list of passages")
    ap.add_argument("--labelled", help="jsonl: query, relevant (list of ids)")
    ap.add_argument("--bi", default="sentence-transformers/multi-qa-MiniLM-L6-cos-v1")
    ap.add_argument("--ce", default="cross-encoder/ms-marco-MiniLM-L6-v2")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    passages = json.load(open(args.faq))
    engine = FaqSearch(passages, args.bi, args.ce, device)
    if args.labelled:
        labelled = [json.loads(line) for line in open(args.labelled)]
        print(f"MRR@10 {evaluate(engine, labelled):.4f}")
    print(f"{len(predict_duplicates(engine))} likely duplicate FAQ entries")
    while True:
        query = input("query> ").strip()
        if not query:
            break
        for cid, score in engine.search(query, rerank_k=5):
            print(f"  {score:6.2f}  {passages[cid][:120]}")


if __name__ == "__main__":
    main()

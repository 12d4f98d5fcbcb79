"""Multi-label tagger for support tickets, packaged as a small predictor object that the
web service imports."""
import json
import sys

import torch
import torch.nn as nn


class TagNet(nn.Module):
    def __init__(self, vocab_size, n_tags, dim=128, hidden=256, dropout=0.3):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab_size, dim, mode="mean")
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, n_tags),
        )

    def forward(self, token_ids, offsets):
        return self.mlp(self.embed(token_ids, offsets))


class TagPredictor:
    def __init__(self, net, vocab, labels):
        self._net = net
        self.vocab = vocab
        self.labels = labels

    @classmethod
    def from_checkpoint(cls, path):
        ckpt = torch.load(path, map_location="cpu")
        net = TagNet(len(ckpt["vocab"]), len(ckpt["labels"]), **ckpt["hparams"])
        net.load_state_dict(ckpt["state_dict"])
        return cls(net, ckpt["vocab"], ckpt["labels"])

    @property
    def net(self):
        return self._net

    @staticmethod
    def _pack(texts, vocab):
        ids = [torch.tensor([vocab.get(w, 0) for w in t.lower().split()] or [0]) for t in texts]
        offsets = torch.tensor([0] + [len(x) for x in ids[:-1]]).cumsum(0)
        return torch.cat(ids), offsets

    @staticmethod
    @torch.no_grad()
    def _scores(net, token_ids, offsets):
        return torch.sigmoid(net(token_ids, offsets))

    def predict(self, texts, threshold=0.5):
        token_ids, offsets = self._pack(texts, self.vocab)
        probs = self._scores(self.net, token_ids, offsets)
        return [
            [self.labels[j] for j in (row >= threshold).nonzero().flatten().tolist()]
            for row in probs
        ]


if __name__ == "__main__":
    predictor = TagPredictor.from_checkpoint(sys.argv[1])
    with open(sys.argv[2]) as fh:
        tickets = [json.loads(line)["text"] for line in fh]
    for text, tags in zip(tickets, predictor.predict(tickets)):
        print(json.dumps({"text": text[:60], "tags": tags}))

"""Speaker-verification service: embeds log-mel features with a trained x-vector style network."""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class XVector(nn.Module):
    def __init__(self, n_mels=40, channels=256, emb_dim=192):
        super().__init__()
        self.frame = nn.Sequential(
            nn.Conv1d(n_mels, channels, 5, padding=2), nn.ReLU(), nn.BatchNorm1d(channels),
            nn.Conv1d(channels, channels, 3, dilation=2, padding=2), nn.ReLU(), nn.BatchNorm1d(channels),
            nn.Conv1d(channels, channels, 3, dilation=3, padding=3), nn.ReLU(), nn.BatchNorm1d(channels),
        )
        self.segment = nn.Sequential(nn.Linear(2 * channels, emb_dim), nn.BatchNorm1d(emb_dim), nn.Dropout(0.2))

    def forward(self, feats):
        h = self.frame(feats)
        stats = torch.cat([h.mean(-1), h.std(-1)], dim=1)
        return self.segment(stats)


class EmbeddingService:
    def __init__(self, ckpt_path, device="cpu"):
        self.device = torch.device(device)
        ckpt = torch.load(ckpt_path, map_location="cpu")
        self.model = XVector(**ckpt.get("config", {}))
        self.model.load_state_dict(ckpt["model"])
        self.model.to(self.device)
        self.model.eval

    @torch.inference_mode()
    def embed(self, feats: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(feats).float().unsqueeze(0).to(self.device)
        emb = self.model(x)
        return F.normalize(emb, dim=-1)[0].cpu().numpy()

    def score(self, feats_a, feats_b):
        return float(np.dot(self.embed(feats_a), self.embed(feats_b)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("enroll", help=".npy log-mel features (n_mels, frames)")
    ap.add_argument("trial")
    ap.add_argument("--threshold", type=float, default=0.55)
    args = ap.parse_args()
    service = EmbeddingService(args.checkpoint, "cuda" if torch.cuda.is_available() else "cpu")
    s = service.score(np.load(args.enroll), np.load(args.trial))
    print(f"cosine score {s:.3f} -> {'same speaker' if s >= args.threshold else 'different speaker'}")


if __name__ == "__main__":
    main()

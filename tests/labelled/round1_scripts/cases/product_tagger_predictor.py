"""Offline tagging of product photos with a fine-tuned EfficientNet-B0.

    python product_tagger_predictor.py ckpt.pt photos/ --out tags.jsonl
"""
import argparse
import json
from pathlib import Path

import torch
import torch.nn as nn
from PIL import Image
from torchvision import transforms
from torchvision.models import efficientnet_b0

IMG_EXT = {".jpg", ".jpeg", ".png", ".webp"}


def build_classifier(num_classes, dropout=0.3):
    net = efficientnet_b0(weights=None)
    net.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(1280, num_classes))
    return net


class Predictor:
    def __init__(self, ckpt_path, device="cpu"):
        ckpt = torch.load(ckpt_path, map_location="cpu")
        self.classes = ckpt["classes"]
        self.device = device
        self.net = build_classifier(len(self.classes))
        self.net.load_state_dict(ckpt["state_dict"])
        self.net.to(device)
        self.net.eval
        self.tfm = transforms.Compose([
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        ])

    def _load(self, path):
        return self.tfm(Image.open(path).convert("RGB"))

    @torch.no_grad()
    def predict(self, paths, topk=3):
        batch = torch.stack([self._load(p) for p in paths]).to(self.device)
        probs = self.net(batch).softmax(dim=1)
        scores, idx = probs.topk(topk, dim=1)
        return [
            [{"tag": self.classes[j], "score": round(s, 4)} for s, j in zip(row_s.tolist(), row_i.tolist())]
            for row_s, row_i in zip(scores.cpu(), idx.cpu())
        ]


def chunks(items, n):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("folder")
    ap.add_argument("--out", default="tags.jsonl")
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    predictor = Predictor(args.ckpt, device)
    paths = sorted(p for p in Path(args.folder).rglob("*") if p.suffix.lower() in IMG_EXT)
    with open(args.out, "w") as fh:
        for group in chunks(paths, args.batch_size):
            for path, tags in zip(group, predictor.predict(group)):
                fh.write(json.dumps({"file": str(path), "tags": tags}) + "\n")
    print(f"tagged {len(paths)} images -> {args.out}")


if __name__ == "__main__":
    main()

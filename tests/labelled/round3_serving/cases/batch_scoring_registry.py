"""Nightly batch-scoring job.

Looks the requested model up in the registry, builds it, loads the released weights and
scores every listing photo uploaded since the last run. Results go to a parquet file that
the ranking service picks up in the morning.
"""
import argparse
from pathlib import Path

import pandas as pd
import timm
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

REGISTRY = {
    "listing-quality-v3": {"arch": "efficientnet_b0", "num_classes": 4, "weights": "cache/lq_v3.pt"},
    "listing-quality-v4": {"arch": "resnet50d", "num_classes": 4, "weights": "cache/lq_v4.pt"},
}
CLASSES = ["poor", "fair", "good", "excellent"]


class ListingPhotos(Dataset):
    def __init__(self, manifest, root):
        self.df = pd.read_csv(manifest)
        self.root = Path(root)
        self.tf = transforms.Compose([
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ])

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        row = self.df.iloc[i]
        img = Image.open(self.root / row["path"]).convert("RGB")
        return row["listing_id"], self.tf(img)


def build_model(name, device):
    spec = REGISTRY[name]
    model = timm.create_model(spec["arch"], pretrained=False, num_classes=spec["num_classes"])
    state = torch.load(spec["weights"], map_location="cpu")
    model.load_state_dict(state.get("state_dict", state))
    return model.to(device)


def score(model, loader, device):
    rows = []
    with torch.inference_mode():
        for listing_ids, images in loader:
            probs = model(images.to(device, non_blocking=True)).softmax(-1).cpu()
            for lid, p in zip(listing_ids.tolist(), probs):
                rows.append({"listing_id": lid, "quality": CLASSES[int(p.argmax())],
                             **{f"p_{c}": float(v) for c, v in zip(CLASSES, p)}})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="listing-quality-v4", choices=sorted(REGISTRY))
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--image-root", required=True)
    ap.add_argument("--out", default="scores.parquet")
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    loader = DataLoader(ListingPhotos(args.manifest, args.image_root), batch_size=args.batch_size,
                        num_workers=8, pin_memory=True)
    model = build_model(args.model, device)
    rows = score(model, loader, device)
    pd.DataFrame(rows).to_parquet(args.out, index=False)
    print(f"scored {len(rows)} listings with {args.model} -> {args.out}")


if __name__ == "__main__":
    main()

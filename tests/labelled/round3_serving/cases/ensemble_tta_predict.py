"""Test-time-augmented predictions from the 5-fold EfficientNet ensemble.

Each fold checkpoint is loaded into its own model; predictions are the average of the
softmax over folds and over the flip/rotation views. Writes the submission CSV.
"""
import argparse
from pathlib import Path

import pandas as pd
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms
from torchvision.models import efficientnet_b0


class TestImages(Dataset):
    def __init__(self, root):
        self.paths = sorted(Path(root).glob("*.jpg"))
        self.tf = transforms.Compose([
            transforms.Resize((320, 320)),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ])

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.paths[i].stem, self.tf(Image.open(self.paths[i]).convert("RGB"))


def load_fold_models(ckpt_dir, num_classes, device):
    models = []
    for path in sorted(Path(ckpt_dir).glob("fold*.pt")):
        m = efficientnet_b0(num_classes=num_classes)
        m.load_state_dict(torch.load(path, map_location="cpu")["ema_state_dict"])
        m.eval()
        models.append(m.to(device))
    if not models:
        raise FileNotFoundError(f"no fold checkpoints in {ckpt_dir}")
    return models


def tta_views(images):
    return [images, images.flip(-1), images.flip(-2), torch.rot90(images, 1, dims=(-2, -1))]


@torch.no_grad()
def predict_tta(models, images):
    probs = None
    n = 0
    for m in models:
        for view in tta_views(images):
            p = m(view).softmax(dim=-1)
            probs = p if probs is None else probs + p
            n += 1
    return probs / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", default="data/test_images")
    ap.add_argument("--ckpts", default="checkpoints")
    ap.add_argument("--num-classes", type=int, default=5)
    ap.add_argument("--out", default="submission.csv")
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    models = load_fold_models(args.ckpts, args.num_classes, device)
    loader = DataLoader(TestImages(args.images), batch_size=32, num_workers=4)
    ids, preds = [], []
    for names, images in loader:
        probs = predict_tta(models, images.to(device))
        ids.extend(names)
        preds.extend(probs.argmax(dim=-1).tolist())
    pd.DataFrame({"image_id": ids, "label": preds}).to_csv(args.out, index=False)
    print(f"wrote {len(ids)} predictions from {len(models)} models x 4 views to {args.out}")


if __name__ == "__main__":
    main()

"""Batch inference for the plant-disease classifier (EfficientNet-B2, trained with DataParallel)."""
import argparse
import csv
from pathlib import Path

import torch
import torch.nn as nn
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms
from torchvision.models import efficientnet_b2


class LeafImages(Dataset):
    def __init__(self, folder, tfm):
        self.paths = sorted(Path(folder).rglob("*.jpg"))
        self.tfm = tfm

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.tfm(Image.open(self.paths[i]).convert("RGB")), str(self.paths[i])


def load_model(ckpt_path, num_classes):
    model = efficientnet_b2(num_classes=num_classes)
    state = torch.load(ckpt_path, map_location="cpu")["state_dict"]
    # checkpoints were written from an nn.DataParallel wrapper
    state = {k.removeprefix("module."): v for k, v in state.items()}
    model.load_state_dict(state)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images")
    ap.add_argument("--ckpt", default="effb2_plants.pth")
    ap.add_argument("--classes", default="classes.txt")
    ap.add_argument("--out", default="predictions.csv")
    args = ap.parse_args()
    torch.set_grad_enabled(False)

    classes = Path(args.classes).read_text().split()
    tfm = transforms.Compose([transforms.Resize(288), transforms.CenterCrop(260), transforms.ToTensor(),
                              transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    loader = DataLoader(LeafImages(args.images, tfm), batch_size=64, num_workers=4)
    model = load_model(args.ckpt, len(classes))
    if torch.cuda.device_count() > 1:
        model = nn.DataParallel(model)
    model = model.cuda()

    with open(args.out, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "prob"])
        for images, paths in loader:
            probs = model(images.cuda(non_blocking=True)).softmax(1)
            conf, idx = probs.max(1)
            writer.writerows((p, classes[i], f"{c:.4f}") for p, i, c in zip(paths, idx.tolist(), conf.tolist()))
    print(f"wrote {len(loader.dataset)} rows to {args.out}")


if __name__ == "__main__":
    main()

"""Species predictions for a folder of camera-trap images with flip test-time augmentation."""
import argparse
import csv
from pathlib import Path

import torch
import torchvision.transforms.functional as TF
from PIL import Image
from torchvision.models import efficientnet_b3

SPECIES = ["empty", "deer", "fox", "boar", "badger", "hare", "bird", "human", "vehicle"]
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def load_model(path, device):
    model = efficientnet_b3(num_classes=len(SPECIES))
    model.load_state_dict(torch.load(path, map_location="cpu"))
    return model.to(device).eval()


def tta_views(img):
    img = TF.center_crop(TF.resize(img, 320), 300)
    return [img, TF.hflip(img)]


def to_tensor(img):
    return TF.normalize(TF.to_tensor(img), MEAN, STD)


def predict_folder(model, folder, device):
    rows = []
    for path in sorted(Path(folder).glob("*.jpg")):
        img = Image.open(path).convert("RGB")
        with torch.no_grad():
            batch = torch.stack([to_tensor(v) for v in tta_views(img)]).to(device)
        probs = model(batch).softmax(-1).mean(0)
        conf, idx = probs.max(0)
        rows.append((path.name, SPECIES[idx.item()], round(conf.item(), 4)))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--weights", default="effb3_cameratrap.pt")
    ap.add_argument("--out", default="predictions.csv")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = load_model(args.weights, device)
    rows = predict_folder(model, args.folder, device)
    with open(args.out, "w", newline="") as fh:
        csv.writer(fh).writerows([("file", "species", "confidence"), *rows])
    print(f"{len(rows)} images -> {args.out}")


if __name__ == "__main__":
    main()

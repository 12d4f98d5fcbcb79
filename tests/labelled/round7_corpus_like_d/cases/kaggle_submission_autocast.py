"""Write a Kaggle submission from 5 fold checkpoints of a multi-label ConvNeXt (flip TTA, fp16)."""
import argparse

import numpy as np
import pandas as pd
import timm
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms


class TestImages(Dataset):
    def __init__(self, ids, root, size):
        self.ids, self.root = ids, root
        self.tfm = transforms.Compose([transforms.Resize((size, size)), transforms.ToTensor(),
                                       transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return self.tfm(Image.open(f"{self.root}/{self.ids[i]}.png").convert("RGB"))


def predict(model, loader, device):
    model.eval()
    out = []
    for images in loader:
        images = images.to(device)
        batch = torch.cat([images, images.flip(3)])
        with torch.autocast(device_type="cuda", dtype=torch.float16):
            logits = model(batch)
        probs = logits.float().sigmoid().view(2, images.size(0), -1).mean(0)
        out.append(probs.detach().cpu().numpy())
    return np.concatenate(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--test-csv", default="sample_submission.csv")
    ap.add_argument("--images", default="test_images")
    ap.add_argument("--arch", default="convnext_small.fb_in22k")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--size", type=int, default=384)
    args = ap.parse_args()
    device = torch.device("cuda")
    sub = pd.read_csv(args.test_csv)
    label_cols = [c for c in sub.columns if c != "id"]
    loader = DataLoader(TestImages(sub["id"].tolist(), args.images, args.size), batch_size=32, num_workers=4)

    preds = np.zeros((len(sub), len(label_cols)), dtype=np.float32)
    for fold in range(args.folds):
        model = timm.create_model(args.arch, pretrained=False, num_classes=len(label_cols))
        model.load_state_dict(torch.load(f"fold{fold}_best.pth", map_location="cpu"))
        model.to(device)
        preds += predict(model, loader, device) / args.folds
        del model
        torch.cuda.empty_cache()
    sub[label_cols] = preds
    sub.to_csv("submission.csv", index=False)
    print(sub.head())


if __name__ == "__main__":
    main()

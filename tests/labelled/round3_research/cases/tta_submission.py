"""Kaggle-style inference: ResNet-34 fold checkpoint + flip test-time augmentation -> submission.csv"""
import argparse
import os

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import models, transforms


class TestImages(Dataset):
    def __init__(self, root, tfm):
        self.root, self.tfm = root, tfm
        self.files = sorted(os.listdir(root))

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        img = Image.open(os.path.join(self.root, self.files[i])).convert("RGB")
        return self.tfm(img), os.path.splitext(self.files[i])[0]


def build_model(num_classes):
    model = models.resnet34(pretrained=False)
    model.fc = nn.Sequential(nn.Dropout(0.3), nn.Linear(model.fc.in_features, num_classes))
    return model


def predict_tta(model, images, flips=((), (3,), (2,))):
    """Average softmax over the identity, horizontal-flip and vertical-flip views."""
    probs = 0
    for dims in flips:
        x = torch.flip(images, dims=dims) if dims else images
        probs = probs + F.softmax(model(x), dim=1)
    return probs / len(flips)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--test-dir", default="input/test_images")
    parser.add_argument("--checkpoint", default="checkpoints/fold0_best.pth")
    parser.add_argument("--num-classes", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tfm = transforms.Compose([transforms.Resize((256, 256)), transforms.ToTensor(),
                              transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    test_loader = DataLoader(TestImages(args.test_dir, tfm), batch_size=args.batch_size, shuffle=False)

    model = build_model(args.num_classes)
    state = torch.load(args.checkpoint, map_location="cpu")
    model.load_state_dict(state["model_state_dict"])
    model.to(device)
    model.eval

    ids, preds = [], []
    with torch.no_grad():
        for images, names in test_loader:
            probs = predict_tta(model, images.to(device))
            preds.append(probs.cpu().numpy())
            ids.extend(names)
    preds = np.concatenate(preds)
    pd.DataFrame({"id_code": ids, "diagnosis": preds.argmax(1)}).to_csv("submission.csv", index=False)
    print("wrote %d predictions" % len(ids))


if __name__ == "__main__":
    main()

"""PetFinder Pawpularity: frozen ImageNet EfficientNet features + 12 metadata flags -> score.

Only the metadata branch and the regression head are trained (the backbone is too
slow to fine-tune on the Kaggle GPU quota).
"""
import os

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms
from torchvision.models import EfficientNet_B0_Weights, efficientnet_b0

META = ["Subject Focus", "Eyes", "Face", "Near", "Action", "Accessory",
        "Group", "Collage", "Human", "Occlusion", "Info", "Blur"]
TFM = transforms.Compose([transforms.Resize((224, 224)), transforms.ToTensor(),
                          transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])


class PetDataset(Dataset):
    def __init__(self, df, img_dir):
        self.df, self.img_dir = df.reset_index(drop=True), img_dir

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        row = self.df.iloc[i]
        img = TFM(Image.open(os.path.join(self.img_dir, row["Id"] + ".jpg")).convert("RGB"))
        meta = torch.tensor(row[META].values.astype(np.float32))
        return img, meta, torch.tensor(row["Pawpularity"] / 100.0, dtype=torch.float32)


class PawpularityNet(nn.Module):
    def __init__(self, n_meta=len(META)):
        super().__init__()
        self.cnn = efficientnet_b0(weights=EfficientNet_B0_Weights.IMAGENET1K_V1)
        self.cnn.classifier = nn.Identity()
        self.meta = nn.Sequential(nn.Linear(n_meta, 32), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(1280 + 32, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, img, meta):
        return self.head(torch.cat([self.cnn(img), self.meta(meta)], dim=1)).squeeze(1)


def rmse_on(model, loader, device):
    model.eval()
    se, n = 0.0, 0
    with torch.no_grad():
        for img, meta, y in loader:
            pred = model(img.to(device), meta.to(device)).sigmoid().cpu()
            se += ((pred - y) ** 2).sum().item()
            n += len(y)
    return 100 * (se / n) ** 0.5


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    df = pd.read_csv("../input/petfinder-pawpularity-score/train.csv").sample(frac=1.0, random_state=0)
    cut = int(0.85 * len(df))
    img_dir = "../input/petfinder-pawpularity-score/train"
    train_dl = DataLoader(PetDataset(df[:cut], img_dir), batch_size=64, shuffle=True, num_workers=2)
    valid_dl = DataLoader(PetDataset(df[cut:], img_dir), batch_size=128, num_workers=2)

    model = PawpularityNet().to(device)
    for p in model.cnn.parameters():
        p.requires_grad = False
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    best = float("inf")
    for epoch in range(8):
        model.train()
        for img, meta, y in train_dl:
            loss = loss_fn(model(img.to(device), meta.to(device)), y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        score = rmse_on(model, valid_dl, device)
        print(f"epoch {epoch}: valid RMSE {score:.3f}")
        if score < best:
            best = score
            torch.save(model.state_dict(), "pawpularity_best.pt")


if __name__ == "__main__":
    main()

"""Marketplace price regression from the listing photo + tabular fields.

The ImageNet ResNet-50 is used as a frozen feature extractor; train() is overridden so
its BatchNorm layers keep their ImageNet running statistics.
"""
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms
from torchvision.models import ResNet50_Weights, resnet50

TFM = ResNet50_Weights.IMAGENET1K_V2.transforms()
TAB = ["item_condition_id", "shipping", "brand_freq", "cat1_freq", "desc_len"]


class ListingDataset(Dataset):
    def __init__(self, df, with_target=True):
        self.df, self.with_target = df.reset_index(drop=True), with_target

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        row = self.df.iloc[i]
        img = TFM(Image.open(row["image_path"]).convert("RGB"))
        tab = torch.tensor(row[TAB].values.astype(np.float32))
        y = torch.tensor(np.log1p(row["price"]), dtype=torch.float32) if self.with_target else torch.tensor(0.0)
        return img, tab, y


class PriceNet(nn.Module):
    def __init__(self, n_tab=len(TAB)):
        super().__init__()
        self.backbone = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
        self.backbone.fc = nn.Identity()
        self.backbone.requires_grad_(False)
        self.tab = nn.Sequential(nn.Linear(n_tab, 64), nn.ReLU())
        self.head = nn.Sequential(nn.Linear(2048 + 64, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 1))

    def train(self, mode=True):
        super().train(mode)
        self.backbone.eval()
        return self

    def forward(self, img, tab):
        with torch.no_grad():
            feats = self.backbone(img)
        return self.head(torch.cat([feats, self.tab(tab)], dim=1)).squeeze(1)


@torch.no_grad()
def predict(model, loader, device):
    model.eval()
    return torch.cat([model(img.to(device), tab.to(device)).cpu() for img, tab, _ in loader]).numpy()


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    df = pd.read_csv("listings_with_images.csv")
    test_df = pd.read_csv("test_listings_with_images.csv")
    val_df = df.sample(frac=0.1, random_state=0)
    train_df = df.drop(val_df.index)
    train_dl = DataLoader(ListingDataset(train_df), batch_size=64, shuffle=True, num_workers=4)
    val_dl = DataLoader(ListingDataset(val_df), batch_size=128, num_workers=4)

    model = PriceNet().to(device)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=3e-4)
    for epoch in range(6):
        model.train()
        for img, tab, y in train_dl:
            loss = nn.functional.mse_loss(model(img.to(device), tab.to(device)), y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        val_pred = predict(model, val_dl, device)
        rmsle = np.sqrt(np.mean((val_pred - np.log1p(val_df["price"].values)) ** 2))
        print(f"epoch {epoch}: val RMSLE {rmsle:.4f}")

    test_pred = predict(model, DataLoader(ListingDataset(test_df, with_target=False), batch_size=128), device)
    pd.DataFrame({"test_id": test_df["test_id"], "price": np.expm1(test_pred)}).to_csv("submission.csv", index=False)


if __name__ == "__main__":
    main()

"""Transfer learning with Lightning: a frozen ImageNet ResNet-50 feature extractor and a
trainable linear classifier on Oxford-IIIT Pets (the Lightning docs recipe)."""
import argparse

import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, random_split
from torchvision import datasets
from torchvision.models import ResNet50_Weights, resnet50


class PetsTransfer(L.LightningModule):
    def __init__(self, num_classes=37, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        backbone = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
        self.feature_extractor = nn.Sequential(*list(backbone.children())[:-1])
        self.feature_extractor.eval()
        self.feature_extractor.requires_grad_(False)
        self.classifier = nn.Linear(backbone.fc.in_features, num_classes)

    def forward(self, x):
        with torch.no_grad():
            representations = self.feature_extractor(x).flatten(1)
        return self.classifier(representations)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val_acc", (logits.argmax(1) == y).float().mean(), prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_acc", (self(x).argmax(1) == y).float().mean())

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, _ = batch
        return self(x).softmax(-1)

    def configure_optimizers(self):
        return torch.optim.Adam(self.classifier.parameters(), lr=self.hparams.lr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data")
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()

    tf = ResNet50_Weights.IMAGENET1K_V2.transforms()
    full = datasets.OxfordIIITPet(args.root, split="trainval", transform=tf, download=True)
    test = datasets.OxfordIIITPet(args.root, split="test", transform=tf, download=True)
    train_set, val_set = random_split(full, [0.9, 0.1], generator=torch.Generator().manual_seed(0))

    model = PetsTransfer()
    trainer = L.Trainer(max_epochs=args.epochs, accelerator="auto", devices=1)
    trainer.fit(model, DataLoader(train_set, batch_size=64, shuffle=True, num_workers=8),
                DataLoader(val_set, batch_size=128, num_workers=8))
    trainer.test(model, DataLoader(test, batch_size=128, num_workers=8))
    probs = torch.cat(trainer.predict(model, DataLoader(test, batch_size=128, num_workers=8)))
    torch.save({"probs": probs, "classes": full.classes}, "pets_test_probs.pt")


if __name__ == "__main__":
    main()

"""EuroSAT land-cover classification: linear probe on a frozen ImageNet ResNet-50 (Lightning)."""
import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, random_split
from torchvision.datasets import EuroSAT
from torchvision.models import ResNet50_Weights, resnet50


class EuroSATProbe(L.LightningModule):
    def __init__(self, num_classes=10, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        trunk = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
        self.backbone = nn.Sequential(*list(trunk.children())[:-1])
        self.backbone.requires_grad_(False)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(2048, num_classes))

    def forward(self, x):
        return self.head(self.backbone(x))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean(), prog_bar=True)

    def configure_optimizers(self):
        return torch.optim.Adam(self.head.parameters(), lr=self.hparams.lr)


if __name__ == "__main__":
    tfm = ResNet50_Weights.IMAGENET1K_V2.transforms()
    full = EuroSAT("data", download=True, transform=tfm)
    train_set, val_set = random_split(full, [21600, 5400], generator=torch.Generator().manual_seed(0))
    model = EuroSATProbe()
    trainer = L.Trainer(max_epochs=15, accelerator="auto", log_every_n_steps=20)
    trainer.fit(model, DataLoader(train_set, batch_size=128, shuffle=True, num_workers=8),
                DataLoader(val_set, batch_size=256, num_workers=8))

"""Oxford-IIIT Pets classifier in Lightning: frozen EfficientNet-B2 feature extractor + trainable head.

The backbone (BatchNorm) is frozen and put in eval mode once in __init__; Lightning 2.x's fit loop
does not call .train() on the module, and it restores per-module modes after each validation run,
so the backbone stays in eval mode for the whole fit.
"""
import lightning.pytorch as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import EfficientNet_B2_Weights, efficientnet_b2


class LitPets(pl.LightningModule):
    def __init__(self, num_classes=37, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        backbone = efficientnet_b2(weights=EfficientNet_B2_Weights.IMAGENET1K_V1)
        self.features = backbone.features
        self.features.requires_grad_(False)
        self.features.eval()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(1408, num_classes))

    def forward(self, x):
        return self.head(self.pool(self.features(x)))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y, label_smoothing=0.1)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val/loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val/acc", (logits.argmax(1) == y).float().mean(), prog_bar=True)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, _ = batch
        return self(x).softmax(dim=-1)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.head.parameters(), lr=self.hparams.lr, weight_decay=1e-2)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.trainer.max_epochs)
        return [opt], [sched]


def loaders(root, batch_size=64):
    norm = transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    train_tf = transforms.Compose([transforms.RandomResizedCrop(260), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    test_tf = transforms.Compose([transforms.Resize(288), transforms.CenterCrop(260), transforms.ToTensor(), norm])
    train = datasets.OxfordIIITPet(root, split="trainval", transform=train_tf, download=True)
    test = datasets.OxfordIIITPet(root, split="test", transform=test_tf, download=True)
    return (DataLoader(train, batch_size, shuffle=True, num_workers=8),
            DataLoader(test, batch_size, num_workers=8))


if __name__ == "__main__":
    train_loader, test_loader = loaders("data")
    model = LitPets()
    trainer = pl.Trainer(max_epochs=15, accelerator="auto", precision="16-mixed")
    trainer.fit(model, train_loader, test_loader)
    probs = torch.cat(trainer.predict(model, test_loader))
    torch.save(probs, "pets_test_probs.pt")

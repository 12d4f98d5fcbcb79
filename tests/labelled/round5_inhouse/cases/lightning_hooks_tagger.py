"""Multi-label image tagger on Lightning: epoch hooks, a threshold-tuning callback, predict_step."""
import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision.models import EfficientNet_B0_Weights, efficientnet_b0


class LitTagger(L.LightningModule):
    def __init__(self, n_tags=20, lr=3e-4):
        super().__init__()
        self.save_hyperparameters()
        net = efficientnet_b0(weights=EfficientNet_B0_Weights.IMAGENET1K_V1)
        net.classifier = nn.Sequential(nn.Dropout(0.3), nn.Linear(1280, n_tags))
        self.net = net
        self.threshold = 0.5
        self.val_probs, self.val_targets = [], []

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        images, targets = batch
        loss = F.binary_cross_entropy_with_logits(self(images), targets.float())
        self.log("train_loss", loss)
        return loss

    def on_validation_epoch_start(self):
        self.val_probs, self.val_targets = [], []

    def validation_step(self, batch, batch_idx):
        images, targets = batch
        logits = self.net(images)
        self.log("val_loss", F.binary_cross_entropy_with_logits(logits, targets.float()), prog_bar=True)
        self.val_probs.append(logits.sigmoid().cpu())
        self.val_targets.append(targets.cpu())

    def test_step(self, batch, batch_idx):
        images, targets = batch
        pred = self(images).sigmoid() > self.threshold
        tp = (pred & targets.bool()).sum()
        self.log("test_f1", 2 * tp / (pred.sum() + targets.sum()).clamp(min=1))

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        images = batch[0] if isinstance(batch, (list, tuple)) else batch
        return self(images).sigmoid() > self.threshold

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=0.05)


class ThresholdTuner(L.Callback):
    """After each validation epoch, pick the global threshold that maximises micro-F1."""

    def on_validation_epoch_end(self, trainer, pl_module):
        probs, targets = torch.cat(pl_module.val_probs), torch.cat(pl_module.val_targets).bool()
        best_f1, best_t = 0.0, pl_module.threshold
        for t in torch.linspace(0.1, 0.9, 17):
            pred = probs > t
            tp = (pred & targets).sum().item()
            f1 = 2 * tp / max(pred.sum().item() + targets.sum().item(), 1)
            if f1 > best_f1:
                best_f1, best_t = f1, t.item()
        pl_module.threshold = best_t
        pl_module.log("val_f1", best_f1)


if __name__ == "__main__":
    train_set, val_set, test_set = (torch.load(f"tags_{s}.pt") for s in ("train", "val", "test"))
    model = LitTagger()
    trainer = L.Trainer(max_epochs=15, callbacks=[ThresholdTuner()], accelerator="auto")
    trainer.fit(model, DataLoader(train_set, batch_size=64, shuffle=True, num_workers=4),
                DataLoader(val_set, batch_size=128, num_workers=4))
    trainer.test(model, DataLoader(test_set, batch_size=128, num_workers=4))
    preds = trainer.predict(model, DataLoader(test_set, batch_size=128))
    torch.save(torch.cat(preds), "test_tags.pt")

"""Batch prediction with the Lightning checkpoint of the document-type classifier.

Used by the backfill job: validates the checkpoint on the labeled sample, then predicts
every page in the backfill manifest through `trainer.predict`.
"""
import argparse

import lightning as L
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class DocTypeClassifier(L.LightningModule):
    def __init__(self, in_dim=1024, n_classes=12, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Linear(in_dim, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(512, n_classes),
        )

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(-1) == y).float().mean())

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        (x,) = batch
        return self(x).softmax(-1)

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--labeled", default="labeled_sample.pt")
    ap.add_argument("--backfill", default="backfill_features.pt")
    ap.add_argument("--out", default="backfill_predictions.parquet")
    args = ap.parse_args()

    model = DocTypeClassifier.load_from_checkpoint(args.ckpt)
    trainer = L.Trainer(accelerator="auto", devices=1, logger=False, inference_mode=True)

    x_lab, y_lab = torch.load(args.labeled)
    metrics = trainer.validate(model, DataLoader(TensorDataset(x_lab, y_lab), batch_size=1024))
    print(f"labeled sample: {metrics[0]}")

    page_ids, feats = torch.load(args.backfill)
    batches = trainer.predict(model, DataLoader(TensorDataset(feats), batch_size=4096))
    probs = torch.cat(batches)
    conf, label = probs.max(-1)
    pd.DataFrame({"page_id": page_ids, "doc_type": label.numpy(), "confidence": conf.numpy()}).to_parquet(
        args.out, index=False)
    print(f"predicted {len(page_ids)} pages -> {args.out}")


if __name__ == "__main__":
    main()

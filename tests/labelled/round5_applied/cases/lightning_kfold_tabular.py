"""Binary tabular competition with PyTorch Lightning: 5 folds, best checkpoint per fold,
fold-averaged test predictions through Trainer.predict."""
import lightning as L
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import DataLoader, TensorDataset

N_FOLDS = 5


class TabularLit(L.LightningModule):
    def __init__(self, d_in, hidden=384, p=0.25, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden), nn.SiLU(), nn.Dropout(p),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.SiLU(), nn.Dropout(p),
            nn.Linear(hidden, 1),
        )
        self.val_outputs = []

    def forward(self, x):
        return self.net(x).squeeze(-1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.binary_cross_entropy_with_logits(self(x), y)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.binary_cross_entropy_with_logits(logits, y), prog_bar=True)
        self.val_outputs.append((logits.sigmoid().cpu(), y.cpu()))

    def on_validation_epoch_end(self):
        p, y = (torch.cat(t) for t in zip(*self.val_outputs))
        if len(y.unique()) == 2:
            self.log("val_auc", roc_auc_score(y.numpy(), p.numpy()))
        self.val_outputs.clear()

    def predict_step(self, batch, batch_idx):
        return torch.sigmoid(self(batch[0]))

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.trainer.max_epochs)
        return [opt], [sched]


def main():
    train = pd.read_csv("train.csv")
    test = pd.read_csv("test.csv")
    feats = [c for c in train.columns if c not in ("id", "target")]
    X = torch.tensor(train[feats].values, dtype=torch.float32)
    y = torch.tensor(train["target"].values, dtype=torch.float32)
    test_dl = DataLoader(TensorDataset(torch.tensor(test[feats].values, dtype=torch.float32)), batch_size=4096)

    test_pred = np.zeros(len(test))
    skf = StratifiedKFold(N_FOLDS, shuffle=True, random_state=7)
    for fold, (tr, va) in enumerate(skf.split(X, y)):
        L.seed_everything(fold)
        ckpt = ModelCheckpoint(monitor="val_loss", dirpath="ckpt", filename=f"fold{fold}")
        trainer = L.Trainer(max_epochs=40, accelerator="auto", inference_mode=False,
                            callbacks=[ckpt, EarlyStopping("val_loss", patience=6)], logger=False)
        model = TabularLit(len(feats))
        trainer.fit(model, DataLoader(TensorDataset(X[tr], y[tr]), batch_size=512, shuffle=True, drop_last=True),
                    DataLoader(TensorDataset(X[va], y[va]), batch_size=4096))
        best = TabularLit.load_from_checkpoint(ckpt.best_model_path)
        trainer.validate(best, DataLoader(TensorDataset(X[va], y[va]), batch_size=4096))
        fold_pred = torch.cat(trainer.predict(best, dataloaders=test_dl)).numpy()
        test_pred += fold_pred / N_FOLDS
    pd.DataFrame({"id": test["id"], "target": test_pred}).to_csv("submission.csv", index=False)


if __name__ == "__main__":
    main()

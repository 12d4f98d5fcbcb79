"""Credit-card fraud detection with an autoencoder trained on normal transactions only.

Anomaly score = reconstruction MSE; the threshold is the 99th percentile of the
scores on the normal training data.
"""
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.metrics import classification_report, roc_auc_score
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset


class DenseAE(nn.Module):
    def __init__(self, d, bottleneck=8):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(d, 64), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(),
            nn.Linear(32, bottleneck),
        )
        self.decoder = nn.Sequential(
            nn.Linear(bottleneck, 32), nn.BatchNorm1d(32), nn.ReLU(),
            nn.Linear(32, 64), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Linear(64, d),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


def reconstruction_errors(model, loader):
    errs = []
    with torch.no_grad():
        for (xb,) in loader:
            recon = model(xb)
            errs.append(((recon - xb) ** 2).mean(dim=1).cpu().numpy())
    return np.concatenate(errs)


def main():
    df = pd.read_csv("creditcard.csv")
    feats = [c for c in df.columns if c not in ("Class", "Time")]
    normal = df[df["Class"] == 0].sample(frac=1.0, random_state=0)
    n_train = int(0.8 * len(normal))
    train_df = normal.iloc[:n_train]
    test_df = pd.concat([normal.iloc[n_train:], df[df["Class"] == 1]])

    scaler = StandardScaler().fit(train_df[feats])
    x_train = torch.tensor(scaler.transform(train_df[feats]), dtype=torch.float32)
    x_test = torch.tensor(scaler.transform(test_df[feats]), dtype=torch.float32)
    y_test = test_df["Class"].values

    model = DenseAE(len(feats))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    train_loader = DataLoader(TensorDataset(x_train), batch_size=512, shuffle=True)
    for epoch in range(25):
        model.train()
        epoch_loss = 0.0
        for (xb,) in train_loader:
            loss = loss_fn(model(xb), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            epoch_loss += loss.item() * len(xb)
        print(f"epoch {epoch}: recon loss {epoch_loss / len(x_train):.5f}")

    # threshold from the normal training transactions
    train_scores = reconstruction_errors(model, DataLoader(TensorDataset(x_train), batch_size=4096))
    threshold = np.percentile(train_scores, 99)

    model.eval()
    test_scores = reconstruction_errors(model, DataLoader(TensorDataset(x_test), batch_size=4096))
    y_pred = (test_scores > threshold).astype(int)
    print("threshold:", threshold, "ROC AUC:", roc_auc_score(y_test, test_scores))
    print(classification_report(y_test, y_pred, digits=4))


if __name__ == "__main__":
    main()

"""Tabular classifier with skorch: a NeuralNetClassifier subclass that trains with mixup,
grid-searched inside a scikit-learn pipeline; the hidden layer is exported as embeddings."""
import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNetClassifier
from skorch.callbacks import EarlyStopping, LRScheduler
from skorch.dataset import unpack_data


class TabularMLP(nn.Module):
    def __init__(self, n_in=40, hidden=128, n_classes=4, p=0.2):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
        )
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, X):
        return self.head(self.body(X))


class MixupNet(NeuralNetClassifier):
    def __init__(self, *args, alpha=0.4, **kwargs):
        super().__init__(*args, **kwargs)
        self.alpha = alpha

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        lam = float(np.random.beta(self.alpha, self.alpha))
        perm = torch.randperm(len(yi))
        Xm = lam * Xi + (1 - lam) * Xi[perm]
        y_pred = self.infer(Xm, **fit_params)
        loss = lam * self.get_loss(y_pred, yi, X=Xm, training=True) \
            + (1 - lam) * self.get_loss(y_pred, yi[perm], X=Xm, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def evaluation_step(self, batch, training=False):
        self.check_is_fitted()
        Xi, _ = unpack_data(batch)
        with torch.set_grad_enabled(training):
            self._set_training(training)
            return self.infer(Xi)


def embed(net, X):
    module = net.module_
    module.eval()
    with torch.no_grad():
        return module.body(torch.as_tensor(X, dtype=torch.float32, device=net.device)).cpu().numpy()


if __name__ == "__main__":
    X, y = make_classification(n_samples=20000, n_features=40, n_informative=25, n_classes=4, random_state=0)
    X, y = X.astype(np.float32), y.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)

    net = MixupNet(
        TabularMLP, criterion=nn.CrossEntropyLoss, optimizer=torch.optim.AdamW, max_epochs=60, batch_size=256,
        device="cuda" if torch.cuda.is_available() else "cpu", iterator_train__shuffle=True,
        callbacks=[EarlyStopping(patience=8), LRScheduler("CosineAnnealingLR", T_max=60)], verbose=0,
    )
    pipe = Pipeline([("scale", StandardScaler()), ("net", net)])
    search = GridSearchCV(pipe, {"net__lr": [1e-3, 3e-3], "net__module__p": [0.1, 0.3], "net__alpha": [0.2, 0.4]},
                          cv=3, scoring="accuracy", n_jobs=1)
    search.fit(X_train, y_train)
    best = search.best_estimator_
    print("best params", search.best_params_)
    print("test accuracy", (best.predict(X_test) == y_test).mean())
    proba = best.predict_proba(X_test)
    print("mean max prob", proba.max(1).mean())

    scaled = best.named_steps["scale"].transform(X_test).astype(np.float32)
    np.save("test_embeddings.npy", embed(best.named_steps["net"], scaled))

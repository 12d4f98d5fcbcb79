"""Flask endpoint for the churn model.

The training pipeline pickles the whole nn.Module (`torch.save(model, path)`); the
ModelWrapper here loads it and exposes sklearn-like predict / predict_proba.
"""
import os

import numpy as np
import torch
from flask import Flask, jsonify, request

FEATURES = [
    "tenure_months", "monthly_charges", "total_charges", "support_tickets_90d",
    "logins_30d", "plan_premium", "plan_family", "autopay", "contract_annual",
]


class ModelWrapper:
    def __init__(self, path, device="cpu", threshold=0.5):
        self.path = path
        self.device = torch.device(device)
        self.threshold = threshold
        self.model = None
        self.mean = None
        self.std = None

    def load(self):
        self.model = torch.load(self.path, map_location=self.device, weights_only=False)
        stats = np.load(self.path.replace(".pt", "_norm.npz"))
        self.mean = torch.as_tensor(stats["mean"], dtype=torch.float32, device=self.device)
        self.std = torch.as_tensor(stats["std"], dtype=torch.float32, device=self.device)
        return self

    def _to_tensor(self, records):
        x = torch.tensor([[float(r.get(f, 0.0)) for f in FEATURES] for r in records],
                         dtype=torch.float32, device=self.device)
        return (x - self.mean) / self.std

    def predict_proba(self, records):
        x = self._to_tensor(records)
        logits = self.model(x)
        p = torch.sigmoid(logits).squeeze(-1)
        return p.detach().cpu().numpy()

    def predict(self, records):
        return (self.predict_proba(records) >= self.threshold).astype(int)


app = Flask(__name__)
wrapper = ModelWrapper(os.environ.get("CHURN_MODEL", "/models/churn_mlp.pt")).load()


@app.route("/predict", methods=["POST"])
def predict():
    records = request.get_json(force=True)
    if isinstance(records, dict):
        records = [records]
    probs = wrapper.predict_proba(records)
    labels = (probs >= wrapper.threshold).astype(int)
    return jsonify([{"churn": int(l), "probability": round(float(p), 4)} for l, p in zip(labels, probs)])


@app.route("/healthz")
def healthz():
    return jsonify({"status": "ok", "model": wrapper.path})


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", 8000)))

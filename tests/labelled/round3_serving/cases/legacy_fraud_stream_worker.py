"""Fraud-scoring worker (written for PyTorch 0.3, still running in production).

Consumes card transactions from Kafka, scores each one with the fraud MLP and publishes
the score to the `fraud-scores` topic.
"""
import json
import logging
import os

import torch
import torch.nn as nn
from kafka import KafkaConsumer, KafkaProducer
from torch.autograd import Variable

log = logging.getLogger("fraud-worker")

FEATURE_KEYS = ["amount", "hour", "merchant_risk", "country_mismatch", "card_age_days",
                "tx_last_hour", "tx_last_day", "avg_amount_30d", "is_online"]


class FraudNet(nn.Module):
    def __init__(self, n_in, hidden=64):
        super(FraudNet, self).__init__()
        self.fc1 = nn.Linear(n_in, hidden)
        self.bn1 = nn.BatchNorm1d(hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.drop = nn.Dropout(0.25)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        x = torch.relu(self.bn1(self.fc1(x)))
        x = self.drop(torch.relu(self.fc2(x)))
        return self.out(x)


def load_model(path):
    model = FraudNet(len(FEATURE_KEYS))
    model.load_state_dict(torch.load(path, map_location=lambda storage, loc: storage))
    model.eval()
    return model


def score_transaction(model, tx):
    feats = torch.FloatTensor([[float(tx.get(k, 0.0)) for k in FEATURE_KEYS]])
    x = Variable(feats, volatile=True)
    logit = model(x)
    return float(torch.sigmoid(logit).data[0, 0])


def main():
    logging.basicConfig(level=logging.INFO)
    model = load_model(os.environ.get("FRAUD_MODEL", "/models/fraudnet.pth"))
    consumer = KafkaConsumer("card-transactions", bootstrap_servers=os.environ["KAFKA"],
                             group_id="fraud-worker", value_deserializer=json.loads)
    producer = KafkaProducer(bootstrap_servers=os.environ["KAFKA"],
                             value_serializer=lambda v: json.dumps(v).encode())
    for n, msg in enumerate(consumer, 1):
        tx = msg.value
        score = score_transaction(model, tx)
        producer.send("fraud-scores", {"tx_id": tx["tx_id"], "score": score})
        if n % 10000 == 0:
            log.info("scored %d transactions", n)


if __name__ == "__main__":
    main()

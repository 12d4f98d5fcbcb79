"""Class-incremental Split-CIFAR10 with EWC in Avalanche. The strategy object owns the training and
evaluation loops (strategy.train / strategy.eval are Avalanche methods, not nn.Module ones); a small
per-class accuracy check on the last test experience is done by hand at the end."""
import argparse

import torch
import torch.nn as nn
from avalanche.benchmarks.classic import SplitCIFAR10
from avalanche.evaluation.metrics import accuracy_metrics, forgetting_metrics, loss_metrics
from avalanche.logging import InteractiveLogger
from avalanche.training import EWC
from avalanche.training.plugins import EvaluationPlugin
from torch.utils.data import DataLoader


class ConvNet(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.25), nn.Linear(128, n_classes),
        )

    def forward(self, x):
        return self.body(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ewc-lambda", type=float, default=10.0)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    benchmark = SplitCIFAR10(n_experiences=5, seed=1234, return_task_id=False)
    model = ConvNet()
    evaluator = EvaluationPlugin(
        accuracy_metrics(epoch=True, experience=True, stream=True),
        loss_metrics(epoch=True, stream=True),
        forgetting_metrics(experience=True, stream=True),
        loggers=[InteractiveLogger()],
    )
    strategy = EWC(model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9), nn.CrossEntropyLoss(),
                   ewc_lambda=args.ewc_lambda, mode="separate", train_mb_size=64, train_epochs=args.epochs,
                   eval_mb_size=256, device=device, evaluator=evaluator)

    results = []
    for experience in benchmark.train_stream:
        print(f"experience {experience.current_experience}: classes {experience.classes_in_this_experience}")
        strategy.train(experience)
        results.append(strategy.eval(benchmark.test_stream))

    test_set = benchmark.test_stream[-1].dataset.eval()
    model.eval()
    hits, counts = torch.zeros(10), torch.zeros(10)
    with torch.no_grad():
        for x, y, *_ in DataLoader(test_set, batch_size=256):
            pred = model(x.to(device)).argmax(1).cpu()
            counts += torch.bincount(y, minlength=10)
            hits += torch.bincount(y[pred == y], minlength=10)
    print("per-class accuracy on last experience:", (hits / counts.clamp(min=1)).tolist())
    print("final stream accuracy:", results[-1].get("Top1_Acc_Stream/eval_phase/test_stream/Task000"))


if __name__ == "__main__":
    main()

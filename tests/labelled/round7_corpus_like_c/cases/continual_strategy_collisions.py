"""Class-incremental SplitMNIST with an Avalanche strategy, then a hand-written sanity check."""
import torch
from avalanche.benchmarks.classic import SplitMNIST
from avalanche.models import SimpleMLP
from avalanche.training import Naive
from torch.nn import CrossEntropyLoss
from torch.optim import SGD
from torch.utils.data import DataLoader

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
benchmark = SplitMNIST(n_experiences=5, seed=1)

model = SimpleMLP(num_classes=10, hidden_size=256, drop_rate=0.5)
strategy = Naive(
    model, SGD(model.parameters(), lr=0.01, momentum=0.9), CrossEntropyLoss(),
    train_mb_size=128, train_epochs=2, eval_mb_size=512, device=device,
)

results = []
for experience in benchmark.train_stream:
    print("training on classes", experience.classes_in_this_experience)
    strategy.train(experience)
    results.append(strategy.eval(benchmark.test_stream))

# own check on the first test experience, with the evaluation transforms
if hasattr(model, "eval") and callable(model.eval):
    model.eval()
first_test = benchmark.test_stream[0].dataset.eval()
loader = DataLoader(first_test, batch_size=512)
hits = n = 0
with torch.no_grad():
    for x, y, *_ in loader:
        hits += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        n += y.numel()
print(f"accuracy on experience 0 after all experiences: {hits / n:.4f}")

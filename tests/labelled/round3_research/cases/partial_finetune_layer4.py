"""Course project: fine-tune only layer4 + fc of an ImageNet ResNet-50 on a 20-class subset."""
import argparse
import time

import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim import lr_scheduler
from torchvision import datasets, models, transforms

parser = argparse.ArgumentParser()
parser.add_argument('--data', default='data/subset20')
parser.add_argument('--epochs', type=int, default=25)
parser.add_argument('--lr', type=float, default=0.01)
parser.add_argument('--log-interval', type=int, default=20)
args = parser.parse_args()
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

normalize = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
train_set = datasets.ImageFolder(args.data + '/train', transforms.Compose([
    transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalize]))
val_set = datasets.ImageFolder(args.data + '/val', transforms.Compose([
    transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), normalize]))
train_loader = torch.utils.data.DataLoader(train_set, batch_size=32, shuffle=True, num_workers=4)
val_loader = torch.utils.data.DataLoader(val_set, batch_size=64, num_workers=4)

model = models.resnet50(pretrained=True)
# freeze everything except the last residual stage (the new fc below is trainable too)
for name, param in model.named_parameters():
    if not name.startswith('layer4'):
        param.requires_grad = False
model.fc = nn.Linear(model.fc.in_features, len(train_set.classes))
model = model.to(device)

criterion = nn.CrossEntropyLoss()
params_to_update = [p for p in model.parameters() if p.requires_grad]
optimizer = optim.SGD(params_to_update, lr=args.lr, momentum=0.9)
scheduler = lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.1)


def train(epoch):
    model.train()
    running_loss = 0.0
    for batch_idx, (inputs, labels) in enumerate(train_loader):
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{}]\tLoss: {:.4f}'.format(
                epoch, batch_idx * len(inputs), len(train_loader.dataset), loss.item()))
    scheduler.step()
    return running_loss / len(train_loader)


def test(epoch):
    model.eval()
    correct = 0
    with torch.no_grad():
        for inputs, labels in val_loader:
            outputs = model(inputs.to(device))
            correct += (outputs.argmax(1).cpu() == labels).sum().item()
    acc = 100.0 * correct / len(val_loader.dataset)
    print('Epoch {}: val accuracy {:.2f}%'.format(epoch, acc))
    return acc


best = 0.0
since = time.time()
for epoch in range(1, args.epochs + 1):
    train(epoch)
    acc = test(epoch)
    if acc > best:
        best = acc
        torch.save(model.state_dict(), 'best_layer4_ft.pth')
print('Training complete in {:.0f}s, best val acc {:.2f}%'.format(time.time() - since, best))

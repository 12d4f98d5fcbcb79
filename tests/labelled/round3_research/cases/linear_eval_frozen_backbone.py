"""Linear evaluation of a self-supervised ResNet-50 (SSL paper protocol): the backbone is frozen and
kept in eval mode (BatchNorm statistics fixed); only a BN-less linear classifier is trained."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets, models, transforms

parser = argparse.ArgumentParser()
parser.add_argument('--data', default='/datasets/imagenet')
parser.add_argument('--pretrained', default='checkpoints/ssl_r50_ep800.pth')
parser.add_argument('--epochs', type=int, default=90)
parser.add_argument('--lr', type=float, default=0.1)
args = parser.parse_args()
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
train_loader = torch.utils.data.DataLoader(datasets.ImageFolder(args.data + '/train', transforms.Compose([
    transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm])),
    batch_size=256, shuffle=True, num_workers=8)
val_loader = torch.utils.data.DataLoader(datasets.ImageFolder(args.data + '/val', transforms.Compose([
    transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm])),
    batch_size=256, num_workers=8)

backbone = models.resnet50()
state = torch.load(args.pretrained, map_location='cpu')['state_dict']
state = {k.replace('module.encoder_q.', ''): v for k, v in state.items() if k.startswith('module.encoder_q.')}
backbone.load_state_dict(state, strict=False)
backbone.fc = nn.Identity()
backbone.requires_grad_(False)
backbone = backbone.to(device)

classifier = nn.Linear(2048, 1000).to(device)
classifier.weight.data.normal_(mean=0.0, std=0.01)
classifier.bias.data.zero_()
optimizer = torch.optim.SGD(classifier.parameters(), lr=args.lr, momentum=0.9, weight_decay=0.0)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)


def train(epoch):
    backbone.eval()  # frozen: BatchNorm must keep the pre-trained running statistics
    classifier.train()
    for i, (images, target) in enumerate(train_loader):
        images, target = images.to(device), target.to(device)
        with torch.no_grad():
            feats = backbone(images)
        loss = F.cross_entropy(classifier(feats), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i % 100 == 0:
            print('epoch %d [%d/%d] loss %.4f' % (epoch, i, len(train_loader), loss.item()))
    scheduler.step()


def validate(epoch):
    backbone.eval()
    classifier.eval()
    correct = total = 0
    with torch.no_grad():
        for images, target in val_loader:
            logits = classifier(backbone(images.to(device)))
            correct += (logits.argmax(1).cpu() == target).sum().item()
            total += target.size(0)
    print('epoch %d: top-1 %.2f' % (epoch, 100.0 * correct / total))
    return correct / total


best = 0.0
for epoch in range(args.epochs):
    train(epoch)
    best = max(best, validate(epoch))
torch.save(classifier.state_dict(), 'linear_head.pth')
print('best top-1 %.2f' % (100 * best))

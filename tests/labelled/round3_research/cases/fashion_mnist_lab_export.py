#!/usr/bin/env python
# coding: utf-8

# # Lab 4: CNNs on Fashion-MNIST
# Exported from lab4_cnn.ipynb

# In[1]:


import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as transforms


# In[2]:


transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
trainset = torchvision.datasets.FashionMNIST(root='./data', train=True, download=True, transform=transform)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=64, shuffle=True)
valset = torchvision.datasets.FashionMNIST(root='./data', train=False, download=True, transform=transform)
valloader = torch.utils.data.DataLoader(valset, batch_size=256, shuffle=False)
classes = trainset.classes
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")


# In[3]:


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(64)
        self.pool = nn.MaxPool2d(2, 2)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = self.dropout(torch.flatten(x, 1))
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


net = Net().to(device)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)


# In[4]:


train_losses, val_accs = [], []
for epoch in range(10):
    net.train()
    running_loss = 0.0
    for i, (inputs, labels) in enumerate(trainloader):
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    train_losses.append(running_loss / len(trainloader))

    # validation accuracy after every epoch
    correct = total = 0
    with torch.no_grad():
        for images, labels in valloader:
            images, labels = images.to(device), labels.to(device)
            outputs = net(images)
            _, predicted = torch.max(outputs, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    val_accs.append(100 * correct / total)
    print(f'[epoch {epoch + 1}] loss: {train_losses[-1]:.3f}  val acc: {val_accs[-1]:.2f}%')


# In[5]:


plt.plot(train_losses, label='train loss')
plt.plot([a / 100 for a in val_accs], label='val acc')
plt.legend()
plt.savefig('curves.png')


# In[6]:


# per-class accuracy of the final model
net.eval()
correct_pred = {c: 0 for c in classes}
total_pred = {c: 0 for c in classes}
with torch.no_grad():
    for images, labels in valloader:
        predictions = net(images.to(device)).argmax(1).cpu()
        for label, prediction in zip(labels, predictions):
            total_pred[classes[label]] += 1
            correct_pred[classes[label]] += int(label == prediction)
for c in classes:
    print(f'Accuracy for class {c:12s}: {100 * correct_pred[c] / total_pred[c]:.1f} %')


# In[7]:


torch.save(net.state_dict(), './fashion_net.pth')

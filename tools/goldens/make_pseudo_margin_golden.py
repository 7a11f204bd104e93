"""Golden for Brink's pseudo-margin trainer (src-main/engine/learn/trainer.test.ts).

PyTorch trains the two pseudo-margin networks (the authors' modeling.py layout, and the
paper-text variant) with full-batch Adam and MSE, from PyTorch's default Linear initialisation.
The initial weights, the data and the weights after each case's steps are written to
src-main/engine/learn/goldens/pseudo-margin.json; Brink starts from the same initial weights
and must end at the same weights.

Run: /usr/bin/python3 tools/goldens/make_pseudo_margin_golden.py
"""
import json
from pathlib import Path

import torch
from torch import nn

OUT = Path(__file__).resolve().parents[2] / "src-main/engine/learn/goldens/pseudo-margin.json"
INPUTS, WIDTH, SAMPLES, STEPS = 10, 24, 64, 50


def network(variant):
    if variant == "code":
        # create_sequential_with_depth(in, width, depth=4): no activation after the first Linear.
        return nn.Sequential(
            nn.Linear(INPUTS, WIDTH), nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, 1), nn.Sigmoid()
        )
    layers = [nn.Linear(INPUTS, WIDTH), nn.ReLU()]
    for _ in range(4):
        layers += [nn.Linear(WIDTH, WIDTH), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(WIDTH, 1), nn.Sigmoid())


def linear_weights(net):
    return [
        {"weight": [float(v) for v in m.weight.detach().flatten()], "bias": [float(v) for v in m.bias.detach()]}
        for m in net
        if isinstance(m, nn.Linear)
    ]


def case(variant, lr, seed):
    torch.manual_seed(seed)
    net = network(variant)
    x = torch.randn(SAMPLES, INPUTS)
    # A target in (0, 1) that depends on x, like sqrt of a margin.
    target = torch.sqrt(torch.sigmoid(x[:, :3].sum(1, keepdim=True) - 1.0) * 0.3)
    initial = linear_weights(net)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(net(x), target)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return {
        "variant": variant,
        "lr": lr,
        "steps": STEPS,
        "inputs": INPUTS,
        "width": WIDTH,
        "samples": SAMPLES,
        "x": [float(v) for v in x.flatten()],
        "target": [float(v) for v in target.flatten()],
        "initial": initial,
        "final": linear_weights(net),
        "losses": losses,
    }


def main():
    torch.set_num_threads(1)
    cases = [case("code", 1e-4, 0), case("paper", 1e-3, 1)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

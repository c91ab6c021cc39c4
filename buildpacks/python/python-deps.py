# Prints the requirements file pip should install: requirements.txt as is, or one made from pyproject.toml's
# [project] dependencies, Pipfile.lock's default packages or Pipfile's [packages]; nothing when there are none.
import json
import os
import re
import tempfile


def real_lines(path):
    with open(path) as f:
        return [l.strip() for l in f if l.strip() and not l.strip().startswith('#')]


def load_toml(path):
    try:
        import tomllib
        with open(path, 'rb') as f:
            return tomllib.load(f)
    except ImportError:
        return None


def from_pyproject():
    data = load_toml('pyproject.toml')
    if data is not None:
        return list(data.get('project', {}).get('dependencies', []))
    # Python before 3.11: the `dependencies = [...]` list of [project], read plainly.
    text = open('pyproject.toml').read()
    m = re.search(r'^\[project\][^\[]*?^dependencies\s*=\s*\[(.*?)\]', text, re.S | re.M)
    return re.findall(r'["\']([^"\']+)["\']', m.group(1)) if m else []


def from_pipfile():
    if os.path.exists('Pipfile.lock'):
        with open('Pipfile.lock') as f:
            default = json.load(f).get('default', {})
        return [name + spec.get('version', '') for name, spec in default.items()]
    data = load_toml('Pipfile') or {}
    out = []
    for name, spec in data.get('packages', {}).items():
        version = spec if isinstance(spec, str) else spec.get('version', '*')
        out.append(name if version == '*' else name + version)
    return out


def main():
    if os.path.exists('requirements.txt'):
        if real_lines('requirements.txt'):
            print('requirements.txt')
        return
    deps = from_pyproject() if os.path.exists('pyproject.toml') else from_pipfile() if os.path.exists('Pipfile') else []
    if not deps:
        return
    fd, path = tempfile.mkstemp(prefix='minicloud-requirements-', suffix='.txt')
    with os.fdopen(fd, 'w') as f:
        f.write('\n'.join(deps) + '\n')
    print(path)


main()

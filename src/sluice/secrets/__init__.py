"""Secrets and config maps for tasks (kfp-kubernetes' ``use_secret_as_env``, ``use_config_map_as_env``).

Kept in the store by namespace and name; a secret's keys and values are encrypted with the key file of
``$SLUICE_HOME`` (``secret.key``, mode 0600), so only its owner reads them and a database dump shows names
only. ``sluice secrets`` and ``sluice configmaps`` manage them; the engine reads them when a task starts.
"""

from sluice.secrets._errors import SecretsError, SecretsNotFoundError
from sluice.secrets._key import KEY_FILE_VARIABLE, key_path, load_key
from sluice.secrets._vault import DEFAULT_NAMESPACE, NamedValues, SecretStore, check_key, check_name

__all__ = [
    "DEFAULT_NAMESPACE",
    "KEY_FILE_VARIABLE",
    "NamedValues",
    "SecretStore",
    "SecretsError",
    "SecretsNotFoundError",
    "check_key",
    "check_name",
    "key_path",
    "load_key",
]

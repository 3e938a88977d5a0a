"""gymctl — provisioning a site: stations' broker credentials, ACL and env files; Redis backup."""

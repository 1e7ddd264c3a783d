# The hub's image: `serve` as the portal's ECS task runs it (infra/aws/portal.ts; docs/deploy.md,
# "The portal"). Built by the deployer (`docker build -t hub .`), not by the Pulumi program; its
# contract with the task definition is held by tests/infra/dockerImage.test.ts.
#
# Pinned by version; pin by digest too (node:20.20.2-bookworm-slim@sha256:...) where your registry
# policy asks for it.

# --- build: the portal's front end needs the dev dependencies (Vite, React) ---
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:portal

# --- run: production dependencies only (tsx is one: serve runs TypeScript as it is) ---
FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The repository (less what .dockerignore leaves out: no keys, no .hub, no node_modules) and the built bundle.
COPY . .
COPY --from=build /app/portal/dist ./portal/dist
# The hub's home: the task mounts writable storage here and on /tmp; the rest stays read-only.
RUN mkdir -p /var/hub && chown node:node /var/hub
USER node
EXPOSE 8089
# The same path the load balancer's target group checks. node, not curl: the slim image has no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8089/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--import", "tsx", "scripts/serve.ts"]
CMD ["--bind", "0.0.0.0", "--http-port", "8089", "--home", "/var/hub", "--log-format", "json"]

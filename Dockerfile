# syntax=docker/dockerfile:1
# Build stage: install all dependencies (including TypeScript) and compile to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies only, compiled code, views and the default config.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY views ./views
COPY config ./config
# Listen on all interfaces inside the container; the admin port should still only be published
# to a private network. Mount your own config at /etc/logoutd/logoutd.yaml (see README).
ENV LOGOUTD_SERVE_PUBLIC_HOST=0.0.0.0 \
    LOGOUTD_SERVE_ADMIN_HOST=0.0.0.0
USER node
EXPOSE 4433 4434
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:4433/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/main.js"]
CMD ["--config", "config/default.yaml"]

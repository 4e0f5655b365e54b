FROM node:20-bookworm-slim

WORKDIR /app
# dependencies first, so that code changes reuse the cached install layer
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force
COPY . .

ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
USER node
EXPOSE 3000
CMD ["npm", "start"]

# Fay–Herriot small-area estimates for the communes of the sae_* reference set
# (METHODS §14), computed independently of the Go code, to reproduce
# testdata/refdata/expected/sae_2025_small_area.json.
#
# Run from the repository root (R 4.2 with Debian's r-base-core + r-cran-survey;
# the sae package is not needed):
#
#   Rscript internal/index/testdata/r/smallarea.R /tmp/sae_small_area.json
#
# Without an argument the JSON goes to stdout. With --check FILE it also
# compares its numbers with the expected JSON FILE (every field of every row,
# S2, sigma2_u and beta; nulls must be nulls) and fails when one differs by
# more than 1e-9:
#
#   Rscript internal/index/testdata/r/smallarea.R \
#     --check internal/index/testdata/refdata/expected/sae_2025_small_area.json /tmp/sae.json
#
# What it does:
#   - the direct estimate of each commune: its overall index on the stratified
#     basis over its one stratum with fpc (METHODS §3), with survey's svymean
#     per question and vcov(svytotal(~lin)) of the linearised variable;
#   - the covariate: the same index of the commune in 2023 (the set has no
#     crosswalk, so each commune is its own predecessor);
#   - S², ψ, REML σ²_u by Fisher scoring from median(ψ) to |ΔA/A| < 1e-13,
#     β by GLS, EBLUP, Prasad–Rao MSE and the clipped interval, written by hand
#     from the formulas of METHODS §14 (Fay & Herriot 1979; Prasad & Rao 1990;
#     Rao & Molina 2015, §6.1–6.2).

suppressPackageStartupMessages(library(survey))

args <- commandArgs(trailingOnly = TRUE)
check <- ""
if (length(args) >= 2 && args[[1]] == "--check") {
  check <- args[[2]]
  args <- args[-(1:2)]
}
out <- if (length(args) >= 1) args[[1]] else ""
refdata <- "internal/index/testdata/refdata"
rd <- function(name) {
  read.csv(file.path(refdata, name), colClasses = "character",
           na.strings = NULL, encoding = "UTF-8", check.names = FALSE)
}

meta <- c("response_id", "agency_code", "channel", "submitted_at", "comment")
agencies <- rd("sae_agencies.csv")
pops <- rd("sae_populations.csv")
pops$receipts <- as.numeric(pops$receipts)

# Respondents with at least one answer, answers as integers (NA = blank).
responses <- function(year) {
  r <- rd(sprintf("sae_responses_%d.csv", year))
  qs <- setdiff(names(r), meta)
  for (q in qs) r[[q]] <- ifelse(r[[q]] == "", NA, as.integer(r[[q]]))
  r[rowSums(!is.na(r[qs])) > 0, c("agency_code", qs)]
}

# overall returns the overall index of one agency's respondents d on the
# stratified basis with one stratum of N receipts, and its linearised
# variance (NA when n < 2), METHODS §2–3.
overall <- function(d, N) {
  qs <- setdiff(names(d), "agency_code")
  aspect <- substr(qs, 1, 1)
  n <- nrow(d)
  answered <- colSums(!is.na(d[qs])) > 0
  kept <- unique(aspect[answered])
  ck <- setNames(rep(0, length(qs)), qs)
  for (a in kept) {
    ka <- qs[aspect == a & answered]
    ck[ka] <- 1 / (length(ka) * length(kept))
  }
  p <- setNames(rep(0, length(qs)), qs)
  for (q in qs[answered]) {
    sub <- data.frame(y = as.numeric(d[[q]][!is.na(d[[q]])] >= 4))
    sub$N <- N
    # survey refuses a design of one unit; its share is that answer.
    p[q] <- if (nrow(sub) < 2) sub$y else
      coef(svymean(~y, svydesign(ids = ~1, fpc = ~N, data = sub)))[[1]]
  }
  est <- sum(ck * p)
  if (n < 2) return(c(est = est, v = NA))
  lin <- rep(0, n)
  for (q in qs[answered]) {
    r <- !is.na(d[[q]])
    m <- sum(r)
    y <- as.numeric(d[[q]] >= 4)
    lin[r] <- lin[r] + ck[[q]] * (y[r] - p[[q]]) * n / (N * m)
  }
  des <- svydesign(ids = ~1, fpc = ~N, data = data.frame(lin = lin, N = N))
  c(est = est, v = vcov(svytotal(~lin, des))[1, 1])
}

year <- 2025
base_year <- 2023
resp <- responses(year)
resp0 <- responses(base_year)
receipts <- function(y, code) pops$receipts[pops$year == y & pops$agency_code == code]
codes <- sort(agencies$code[agencies$level == "commune"])
codes <- codes[vapply(codes, function(cd) length(receipts(year, cd)) == 1, TRUE)]

area <- do.call(rbind, lapply(codes, function(cd) {
  N <- receipts(year, cd)
  d <- resp[resp$agency_code == cd, ]
  dir <- if (nrow(d) > 0) overall(d, N) else c(est = NA, v = NA)
  d0 <- resp0[resp0$agency_code == cd, ]
  b <- if (nrow(d0) > 0) overall(d0, receipts(base_year, cd))[["est"]] else NA
  data.frame(agency = cd, N = N, n = nrow(d), direct = dir[["est"]],
             direct_var = dir[["v"]], baseline = b)
}))

# Smoothed sampling variances (METHODS §14).
f <- area$n / area$N
pool <- area$n >= 2 & area$n < area$N
s2 <- area$direct_var * area$n / (1 - f)
S2 <- sum((area$n[pool] - 1) * s2[pool]) / sum(area$n[pool] - 1)
area$psi <- ifelse(area$n >= 1, (1 - f) * S2 / pmax(area$n, 1), NA)

use_baseline <- all(!is.na(area$baseline))
X_all <- if (use_baseline) cbind(1, area$baseline) else matrix(1, nrow(area), 1)
m_in <- area$n >= 1
y <- area$direct[m_in]
psi <- area$psi[m_in]
X <- X_all[m_in, , drop = FALSE]

# REML Fisher scoring: A <- A + s/F with s = -tr(P)/2 + y'PPy/2, F = tr(PP)/2.
reml <- function(y, psi, X, tol = 1e-13, maxiter = 100) {
  A <- median(psi)
  for (k in seq_len(maxiter)) {
    Vi <- 1 / (A + psi)
    XtVi <- t(Vi * X)
    P <- diag(Vi) - t(XtVi) %*% solve(XtVi %*% X) %*% XtVi
    Py <- P %*% y
    s <- -0.5 * sum(diag(P)) + 0.5 * sum(Py * Py)
    F <- 0.5 * sum(P * P)
    A_new <- A + s / F
    rel <- abs((A_new - A) / A)
    A <- A_new
    if (rel < tol) return(list(A = A, iter = k, converged = TRUE))
  }
  list(A = A, iter = maxiter, converged = FALSE)
}
fit <- reml(y, psi, X)
stopifnot(fit$converged)
sigma2_u <- max(fit$A, 0)
Vi <- 1 / (sigma2_u + psi)
Q <- solve(t(Vi * X) %*% X)
beta <- Q %*% t(Vi * X) %*% y
var_A <- 2 / sum(Vi^2)

xQx <- rowSums((X_all %*% Q) * X_all)
synth <- as.vector(X_all %*% beta)
gamma <- rep(0, nrow(area))
gamma[m_in] <- sigma2_u / (sigma2_u + psi)
eblup <- synth
eblup[m_in] <- synth[m_in] + gamma[m_in] * (y - synth[m_in])
mse <- sigma2_u + xQx
g1 <- gamma[m_in] * psi
g2 <- (1 - gamma[m_in])^2 * xQx[m_in]
g3 <- (1 - gamma[m_in])^2 * var_A / (sigma2_u + psi)
mse[m_in] <- g1 + g2 + 2 * g3
z <- qnorm(0.975)
lo <- pmax(0, eblup - z * sqrt(mse))
hi <- pmin(1, eblup + z * sqrt(mse))

num <- function(x) ifelse(is.na(x), "null", sprintf("%.15g", x))
rows <- vapply(seq_len(nrow(area)), function(i) {
  sprintf(paste0('    {"agency": "%s", "n": %d, "direct": %s, "direct_var": %s, ',
                 '"baseline": %s, "psi": %s, "gamma": %s, "eblup": %s, "mse": %s, ',
                 '"synthetic": %s, "ci": [%s, %s]}'),
          area$agency[i], area$n[i], num(area$direct[i]), num(area$direct_var[i]),
          num(area$baseline[i]), num(area$psi[i]), num(gamma[i]), num(eblup[i]),
          num(mse[i]), if (m_in[i]) "false" else "true", num(lo[i]), num(hi[i]))
}, "")
json <- c(
  "{",
  sprintf('  "generated_by": "internal/index/testdata/r/smallarea.R (REML %d iterations)",', fit$iter),
  '  "level": "commune",',
  sprintf('  "covariates": [%s],',
          if (use_baseline) '"intercept", "baseline"' else '"intercept"'),
  sprintf('  "areas_in_model": %d,', sum(m_in)),
  sprintf('  "S2": %s,', num(S2)),
  sprintf('  "sigma2_u": %s,', num(sigma2_u)),
  sprintf('  "beta": [%s],', paste(num(beta), collapse = ", ")),
  '  "rows": [',
  paste(rows, collapse = ",\n"),
  "  ]",
  "}")
writeLines(json, if (out == "") stdout() else out)

# The check reads the expected file's fields by name (its layout is one
# "agency" object per row), so no JSON package is needed.
field <- function(txt, name) {
  m <- regmatches(txt, regexpr(sprintf('"%s": *(null|[-0-9.eE+]+)', name), txt))
  if (length(m) == 0) stop("field ", name, " missing")
  v <- sub('.*: *', "", m)
  if (v == "null") NA else as.numeric(v)
}
bracket <- function(txt, name) {
  m <- regmatches(txt, regexpr(sprintf('"%s": *\\[[^]]*\\]', name), txt))
  as.numeric(strsplit(gsub('.*\\[|\\].*| ', "", m), ",")[[1]])
}
if (check != "") {
  txt <- paste(readLines(check, encoding = "UTF-8"), collapse = "\n")
  parts <- strsplit(txt, '"agency": *', perl = TRUE)[[1]]
  head <- parts[[1]]
  worst <- 0
  cmp <- function(want, got, what) {
    if (is.na(want) != is.na(got)) stop(what, ": null in one only")
    if (!is.na(want)) worst <<- max(worst, abs(want - got))
    if (!is.na(want) && abs(want - got) > 1e-9) stop(what, ": ", got, " want ", want)
  }
  cmp(field(head, "S2"), S2, "S2")
  cmp(field(head, "sigma2_u"), sigma2_u, "sigma2_u")
  cmp(field(head, "areas_in_model"), sum(m_in), "areas_in_model")
  b <- bracket(head, "beta")
  stopifnot(length(b) == length(beta))
  for (j in seq_along(b)) cmp(b[[j]], beta[[j]], "beta")
  rows_want <- parts[-1]
  stopifnot(length(rows_want) == nrow(area))
  for (i in seq_along(rows_want)) {
    r <- rows_want[[i]]
    code <- sub('^"([^"]*)".*', "\\1", r)
    if (code != area$agency[i]) stop("row ", i, ": agency ", code, " want ", area$agency[i])
    got <- list(n = area$n[i], direct = area$direct[i], direct_var = area$direct_var[i],
                baseline = area$baseline[i], psi = area$psi[i], gamma = gamma[i],
                eblup = eblup[i], mse = mse[i])
    for (nm in names(got)) cmp(field(r, nm), got[[nm]], paste(code, nm))
    syn <- grepl('"synthetic": *true', r)
    if (syn == m_in[i]) stop(code, ": synthetic flag differs")
    ci <- bracket(r, "ci")
    cmp(ci[[1]], lo[i], paste(code, "ci low"))
    cmp(ci[[2]], hi[i], paste(code, "ci high"))
  }
  message(sprintf("check: %d rows match %s, max abs difference %.3g", nrow(area), check, worst))
}

;;; emacs_driver.el --- the Emacs half of tests/editors/test_emacs.py  -*- lexical-binding: t -*-
;; Run with `emacs --batch -q -l <documented config> -l emacs_driver.el' from the workspace.
;; Opens the broken environment.yml (eglot starts as after a user's command), waits for Flymake's
;; diagnostics, then runs `kernelenv-create' in tiny/requirements.txt and waits for the
;; `kernelenv/projects' notification saying ready. Writes JSON to $KERNELENV_EMACS_RESULT.
(require 'json)
(require 'flymake)

(defvar kernelenv-test--out nil)
(defvar kernelenv-test--status nil)
(defvar kernelenv-test--prompts nil)
(defvar kernelenv-test--messages nil)

(advice-add 'message :after
            (lambda (fmt &rest args)
              (when fmt (push (apply #'format-message fmt args) kernelenv-test--messages))))

;; Headless: answer the server's create prompt "Not now" (recorded), as a user would.
(advice-add 'completing-read :around
            (lambda (_orig prompt &rest _)
              (push prompt kernelenv-test--prompts)
              "Not now"))

(cl-defmethod eglot-handle-notification :after (_server (_method (eql kernelenv/projects)) &key projects &allow-other-keys)
  (seq-doseq (p projects)
    (when (equal (plist-get p :name) "tiny")
      (setq kernelenv-test--status (plist-get (plist-get p :status) :status)))))

(defun kernelenv-test--wait (what pred timeout)
  (let ((end (+ (float-time) timeout)))
    (while (and (not (funcall pred)) (< (float-time) end))
      (accept-process-output nil 0.1))
    (or (funcall pred) (error "Timed out after %ss waiting for %s" timeout what))))

(defun kernelenv-test--pos (pos)
  (save-excursion (goto-char pos) (list (1- (line-number-at-pos)) (current-column))))

(defun kernelenv-test--main ()
  (find-file (getenv "KERNELENV_EMACS_BROKEN"))
  (run-hooks 'post-command-hook)          ; eglot-ensure connects after the command that opened the file
  (kernelenv-test--wait "eglot to manage environment.yml" (lambda () (bound-and-true-p eglot--managed-mode)) 60)
  (kernelenv-test--wait "two diagnostics" (lambda () (>= (length (flymake-diagnostics)) 2)) 60)
  (push (cons 'diagnostics
              (vconcat (mapcar (lambda (d)
                                 (let ((b (kernelenv-test--pos (flymake-diagnostic-beg d)))
                                       (e (kernelenv-test--pos (flymake-diagnostic-end d))))
                                   `((line . ,(nth 0 b)) (col . ,(nth 1 b)) (end_line . ,(nth 0 e))
                                     (end_col . ,(nth 1 e)) (message . ,(flymake-diagnostic-text d)))))
                               (flymake-diagnostics))))
        kernelenv-test--out)
  (find-file (expand-file-name "requirements.txt" (getenv "KERNELENV_EMACS_PROJECT")))
  (run-hooks 'post-command-hook)
  (kernelenv-test--wait "eglot to manage requirements.txt" (lambda () (bound-and-true-p eglot--managed-mode)) 60)
  (push (cons 'mode (symbol-name major-mode)) kernelenv-test--out)
  (kernelenv-test--wait "the missing status" (lambda () (equal kernelenv-test--status "missing")) 60)
  (kernelenv-create)
  (kernelenv-test--wait "building" (lambda () (equal kernelenv-test--status "building")) 60)
  (push (cons 'saw_building t) kernelenv-test--out)
  (kernelenv-test--wait "ready" (lambda () (equal kernelenv-test--status "ready"))
                        (string-to-number (or (getenv "KERNELENV_EMACS_CREATE_TIMEOUT") "600")))
  (push (cons 'status kernelenv-test--status) kernelenv-test--out)
  (kernelenv-test--wait "the create answer"
                        (lambda () (seq-find (lambda (m) (string-match-p "\\`kernelenv create: \\(succeeded\\|failed\\|cancelled\\)" m)) kernelenv-test--messages))
                        60)
  (push (cons 'answer (seq-find (lambda (m) (string-match-p "\\`kernelenv create: \\(succeeded\\|failed\\|cancelled\\)" m)) kernelenv-test--messages))
        kernelenv-test--out))

(let ((ok t) err)
  (condition-case e (kernelenv-test--main)
    (error (setq ok nil err (error-message-string e))))
  (push (cons 'ok (if ok t :json-false)) kernelenv-test--out)
  (when err (push (cons 'error err) kernelenv-test--out))
  (push (cons 'prompts (vconcat kernelenv-test--prompts)) kernelenv-test--out)
  (with-temp-file (getenv "KERNELENV_EMACS_RESULT")
    (insert (json-encode kernelenv-test--out)))
  (ignore-errors (eglot-shutdown-all))
  (kill-emacs 0))
